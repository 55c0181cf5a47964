package node

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image is an image the node imports: one layer of files and a config.
type Image struct {
	Ref    string
	Files  []File
	Config v1.Config
}

// File is one entry of an image's layer: a folder (Dir), a file with
// Content, or a file copied from the machine (From).
type File struct {
	Path     string
	Mode     int64
	Dir      bool
	Content  string
	From     string
	UID, GID int
}

// ZotRef is the reference the stacks pin for zot's image
// (registry.image.repository and tag).
const ZotRef = "ghcr.io/project-zot/zot:v2.1.20"

// ZotImage is zot's release image rebuilt around a zot binary: the layout
// of its build/Dockerfile at v2.1.20 (distroless base-nossl: /etc/passwd
// with root and nonroot 65532, the CA bundle caBundle, /tmp; /usr/bin/zot
// as ENTRYPOINT, CMD serve /etc/zot/config.json, port 5000), no USER.
func ZotImage(bin, caBundle string) Image {
	return Image{
		Ref: ZotRef,
		Files: append(base(caBundle),
			File{Path: "usr/bin", Dir: true, Mode: 0o755},
			File{Path: "usr/bin/zot", From: bin, Mode: 0o755},
		),
		Config: v1.Config{
			Entrypoint:   []string{"/usr/bin/zot"},
			Cmd:          []string{"serve", "/etc/zot/config.json"},
			Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
			ExposedPorts: map[string]struct{}{"5000/tcp": {}},
			WorkingDir:   "/",
		},
	}
}

// PauseImage is the sandbox image: Kubernetes' own pause program
// (build/pause/linux/pause.c of k8s.io/kubernetes, built by run.sh), as
// the upstream image runs it (user 65535).
func PauseImage(ref, bin string) Image {
	return Image{
		Ref:    ref,
		Files:  []File{{Path: "pause", From: bin, Mode: 0o755}},
		Config: v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535", WorkingDir: "/"},
	}
}

// base is distroless' minimal file system.
func base(caBundle string) []File {
	return []File{
		{Path: "etc", Dir: true, Mode: 0o755},
		{Path: "etc/passwd", Mode: 0o644, Content: "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"},
		{Path: "etc/group", Mode: 0o644, Content: "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"},
		{Path: "etc/nsswitch.conf", Mode: 0o644, Content: "hosts: files dns\n"},
		{Path: "etc/ssl", Dir: true, Mode: 0o755},
		{Path: "etc/ssl/certs", Dir: true, Mode: 0o755},
		{Path: "etc/ssl/certs/ca-certificates.crt", From: caBundle, Mode: 0o644},
		{Path: "home", Dir: true, Mode: 0o755},
		{Path: "home/nonroot", Dir: true, Mode: 0o700, UID: 65532, GID: 65532},
		{Path: "root", Dir: true, Mode: 0o700},
		{Path: "tmp", Dir: true, Mode: 0o1777},
		{Path: "var", Dir: true, Mode: 0o755},
	}
}

// write builds the image and writes it as a docker archive (what
// `ctr images import` reads).
func (img Image) write(archive string) error {
	if err := os.MkdirAll(filepath.Dir(archive), 0o755); err != nil {
		return err
	}
	layerTar := archive + ".layer"
	defer os.Remove(layerTar)
	if err := writeLayer(layerTar, img.Files); err != nil {
		return err
	}
	layer, err := tarball.LayerFromFile(layerTar, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		return err
	}
	image, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := image.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Config = img.Config
	if image, err = mutate.ConfigFile(image, cf); err != nil {
		return err
	}
	ref, err := name.NewTag(img.Ref)
	if err != nil {
		return err
	}
	return tarball.WriteToFile(archive, ref, image)
}

// writeLayer writes the files as an uncompressed tar.
func writeLayer(path string, files []File) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	epoch := time.Unix(0, 0)
	for _, e := range files {
		h := &tar.Header{Name: e.Path, Mode: e.Mode, Uid: e.UID, Gid: e.GID, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case e.Dir:
			h.Typeflag, h.Name = tar.TypeDir, e.Path+"/"
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
		case e.From != "":
			if err := copyInto(tw, h, e.From); err != nil {
				return err
			}
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Content))
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			if _, err := io.WriteString(tw, e.Content); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func copyInto(tw *tar.Writer, h *tar.Header, from string) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("image file %s: %w", h.Name, err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	h.Typeflag, h.Size = tar.TypeReg, fi.Size()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err = io.Copy(tw, src)
	return err
}
