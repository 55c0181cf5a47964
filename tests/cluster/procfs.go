package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// zotProcess is the pid of zot in the pod with uid: the container's
// process, found by its cgroup (the kubelet names each pod's cgroup
// pod<uid>), so a test reads the files zot reads as zot sees them, through
// /proc/<pid>/root, and the environment it was started with.
func zotProcess(podUID string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.HasPrefix(string(cmdline), "/usr/bin/zot\x00") {
			continue
		}
		cg, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if err == nil && strings.Contains(string(cg), "pod"+podUID) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no zot process in pod %s", podUID)
}

// readInPod reads a file as the process sees it.
func readInPod(pid int, path string) (string, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "root", path))
	return string(b), err
}

// envOf is a process's environment.
func envOf(pid int) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env, nil
}
