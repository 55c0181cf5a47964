package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// zot-registry:registry: where zot's pods run and how they, their Service
// and their ServiceAccount are labelled and annotated. Each setting is
// validated as the API server validates it (apimachinery's
// validation.IsQualifiedName and IsValidLabelValue, core/v1 validation of
// tolerations and affinity), so a mistake fails before pulumi up, not at
// the Helm release.

// Toleration is a pod toleration (core/v1 Toleration).
type Toleration struct {
	Key      string `json:"key,omitempty" pulumi:"key,optional"`
	Operator string `json:"operator,omitempty" pulumi:"operator,optional"`
	Value    string `json:"value,omitempty" pulumi:"value,optional"`
	Effect   string `json:"effect,omitempty" pulumi:"effect,optional"`
	// TolerationSeconds: only with effect NoExecute.
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty" pulumi:"tolerationSeconds,optional"`
}

// Affinity is the pod's affinity (core/v1 Affinity). The program's own
// topology spread (registry.availability) stays beside it.
type Affinity struct {
	NodeAffinity    *NodeAffinity `json:"nodeAffinity,omitempty" pulumi:"nodeAffinity,optional"`
	PodAffinity     *PodAffinity  `json:"podAffinity,omitempty" pulumi:"podAffinity,optional"`
	PodAntiAffinity *PodAffinity  `json:"podAntiAffinity,omitempty" pulumi:"podAntiAffinity,optional"`
}

// NodeAffinity is core/v1 NodeAffinity.
type NodeAffinity struct {
	Required  *NodeSelector             `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty" pulumi:"requiredDuringSchedulingIgnoredDuringExecution,optional"`
	Preferred []PreferredSchedulingTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty" pulumi:"preferredDuringSchedulingIgnoredDuringExecution,optional"`
}

// NodeSelector is core/v1 NodeSelector: the terms are ORed.
type NodeSelector struct {
	NodeSelectorTerms []NodeSelectorTerm `json:"nodeSelectorTerms" pulumi:"nodeSelectorTerms"`
}

// NodeSelectorTerm is core/v1 NodeSelectorTerm: the requirements are ANDed.
type NodeSelectorTerm struct {
	MatchExpressions []Requirement `json:"matchExpressions,omitempty" pulumi:"matchExpressions,optional"`
	MatchFields      []Requirement `json:"matchFields,omitempty" pulumi:"matchFields,optional"`
}

// Requirement is a node selector or label selector requirement.
type Requirement struct {
	Key      string   `json:"key" pulumi:"key"`
	Operator string   `json:"operator" pulumi:"operator"`
	Values   []string `json:"values,omitempty" pulumi:"values,optional"`
}

// PreferredSchedulingTerm is core/v1 PreferredSchedulingTerm.
type PreferredSchedulingTerm struct {
	Weight     int              `json:"weight" pulumi:"weight"`
	Preference NodeSelectorTerm `json:"preference" pulumi:"preference"`
}

// PodAffinity is core/v1 PodAffinity or PodAntiAffinity.
type PodAffinity struct {
	Required  []PodAffinityTerm         `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty" pulumi:"requiredDuringSchedulingIgnoredDuringExecution,optional"`
	Preferred []WeightedPodAffinityTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty" pulumi:"preferredDuringSchedulingIgnoredDuringExecution,optional"`
}

// PodAffinityTerm is core/v1 PodAffinityTerm.
type PodAffinityTerm struct {
	LabelSelector     *LabelSelector `json:"labelSelector,omitempty" pulumi:"labelSelector,optional"`
	NamespaceSelector *LabelSelector `json:"namespaceSelector,omitempty" pulumi:"namespaceSelector,optional"`
	Namespaces        []string       `json:"namespaces,omitempty" pulumi:"namespaces,optional"`
	TopologyKey       string         `json:"topologyKey" pulumi:"topologyKey"`
	// MatchLabelKeys and MismatchLabelKeys are pod label keys whose values
	// are taken from the incoming pod (Kubernetes 1.29 and later).
	MatchLabelKeys    []string `json:"matchLabelKeys,omitempty" pulumi:"matchLabelKeys,optional"`
	MismatchLabelKeys []string `json:"mismatchLabelKeys,omitempty" pulumi:"mismatchLabelKeys,optional"`
}

// WeightedPodAffinityTerm is core/v1 WeightedPodAffinityTerm.
type WeightedPodAffinityTerm struct {
	Weight          int             `json:"weight" pulumi:"weight"`
	PodAffinityTerm PodAffinityTerm `json:"podAffinityTerm" pulumi:"podAffinityTerm"`
}

// LabelSelector is meta/v1 LabelSelector.
type LabelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels,omitempty" pulumi:"matchLabels,optional"`
	MatchExpressions []Requirement     `json:"matchExpressions,omitempty" pulumi:"matchExpressions,optional"`
}

// ServiceAccount is registry.serviceAccount: the chart's ServiceAccount
// for zot (named after the release).
type ServiceAccount struct {
	Annotations map[string]string `json:"annotations" pulumi:"annotations,optional"`
}

// IRSAAnnotation is the ServiceAccount annotation the EKS pod identity
// webhook reads the role from (storage.aws.credentials irsa).
const IRSAAnnotation = "eks.amazonaws.com/role-arn"

// OwnedAnnotationPrefix starts the pod annotations the program sets itself
// (chart.RolloutAnnotation, chart.ConfigDigestAnnotation).
const OwnedAnnotationPrefix = Project + "/"

// chartPodAnnotations are the pod annotations chart 0.1.122 writes itself
// after .Values.podAnnotations (templates/deployment.yaml, statefulset.yaml):
// the same key twice in one pod template.
var chartPodAnnotations = []string{"checksum/config", "checksum/secret", "rollme"}

// EKSAnnotationPrefix starts the ServiceAccount annotations the EKS pod
// identity webhook reads (role-arn, audience, token-expiration…): on zot's
// ServiceAccount they would hand zot another role than the one holding its
// policy, or break the IRSA trust's audience.
const EKSAnnotationPrefix = "eks.amazonaws.com/"

var (
	// A label value: at most 63 characters, alphanumeric at both ends.
	labelValue = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	// The name part of a qualified name (a label or annotation key).
	qualifiedName = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	// The chart's selector labels (zot.selectorLabels): a pod label that
	// changed one would leave the pod outside its own Service.
	selectorLabels = []string{"app.kubernetes.io/name", "app.kubernetes.io/instance"}

	integer             = regexp.MustCompile(`^-?[0-9]+$`)
	tolerationOperators = []string{"Equal", "Exists"}
	taintEffects        = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
	nodeOperators       = []string{"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"}
	labelOperators      = []string{"In", "NotIn", "Exists", "DoesNotExist"}
)

// qualifiedKeyProblem is what makes k an invalid label or annotation key
// (prefix/name: a DNS subdomain of at most 253 characters, and a name of
// at most 63), or "".
func qualifiedKeyProblem(k string) string {
	name := k
	if i := strings.LastIndex(k, "/"); i >= 0 {
		prefix := k[:i]
		name = k[i+1:]
		if prefix == "" || len(prefix) > 253 || !dnsSubdomain.MatchString(prefix) {
			return fmt.Sprintf("%q has a prefix that is not a DNS subdomain", k)
		}
	}
	if name == "" || len(name) > 63 || !qualifiedName.MatchString(name) {
		return fmt.Sprintf("%q is not a valid key: at most 63 letters, digits, '-', '_' and '.' after an optional DNS prefix and '/', alphanumeric at both ends", k)
	}
	return ""
}

// sortedKeys are m's keys in order, so errors come in a stable order.
func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// validLabels checks a map of labels (values checked) or annotations.
func validLabels(c Collector, field string, m map[string]string, labels bool) {
	for _, k := range sortedKeys(m) {
		if p := qualifiedKeyProblem(k); p != "" {
			c.Add(field, p, "use a key such as example.com/team")
			continue
		}
		if labels && (len(m[k]) > 63 || !labelValue.MatchString(m[k])) {
			c.Add(field+"."+k, fmt.Sprintf("%q is not a label value", m[k]), "use at most 63 letters, digits, '-', '_' and '.', alphanumeric at both ends")
		}
	}
}

// noTemplate: the chart passes nodeSelector, affinity and tolerations
// through Helm's tpl (templates/deployment.yaml and statefulset.yaml of
// 0.1.122), so "{{" in them would run as a template.
func noTemplate(c Collector, field, v string) {
	if strings.Contains(v, "{{") {
		c.Add(field, fmt.Sprintf("%q contains {{, which the chart would run as a Helm template", v), "write the value itself")
	}
}

func validatePlacement(r *Registry, c Collector) {
	validLabels(c, "nodeSelector", r.NodeSelector, true)
	for _, k := range sortedKeys(r.NodeSelector) {
		noTemplate(c, "nodeSelector."+k, k+r.NodeSelector[k])
	}
	for i, t := range r.Tolerations {
		validToleration(c, fmt.Sprintf("tolerations[%d]", i), t)
	}
	validAffinity(c, "affinity", r.Affinity)
	if r.PriorityClassName != "" && (len(r.PriorityClassName) > 253 || !dnsSubdomain.MatchString(r.PriorityClassName)) {
		c.Add("priorityClassName", fmt.Sprintf("%q is not a PriorityClass name", r.PriorityClassName), "use the name kubectl get priorityclass shows")
	}
	seen := map[string]bool{}
	for i, s := range r.ImagePullSecrets {
		field := fmt.Sprintf("imagePullSecrets[%d]", i)
		switch {
		case len(s) > 253 || !dnsSubdomain.MatchString(s):
			c.Add(field, fmt.Sprintf("%q is not a Secret name", s), "name a docker-registry Secret in zot's namespace")
		case seen[s]:
			c.Add(field, fmt.Sprintf("%q is listed twice", s), "remove the duplicate")
		}
		seen[s] = true
	}
	validLabels(c, "podLabels", r.PodLabels, true)
	for _, k := range selectorLabels {
		if _, ok := r.PodLabels[k]; ok {
			c.Add("podLabels", fmt.Sprintf("sets %s, one of the chart's selector labels", k), "remove it: the Service, the workload and the disruption budget select zot's pods by it")
		}
	}
	validLabels(c, "podAnnotations", r.PodAnnotations, false)
	for _, k := range sortedKeys(r.PodAnnotations) {
		switch {
		case strings.HasPrefix(k, OwnedAnnotationPrefix):
			c.Add("podAnnotations", fmt.Sprintf("sets %s, which the program sets itself (the rollout token and the digests restart zot)", k), "remove it; to restart zot change secrets.rolloutToken")
		case slices.Contains(chartPodAnnotations, k):
			c.Add("podAnnotations", fmt.Sprintf("sets %s, which the chart writes itself", k), "remove it; to restart zot change secrets.rolloutToken")
		}
	}
	validLabels(c, "serviceAnnotations", r.ServiceAnnotations, false)
	validLabels(c, "serviceAccount.annotations", r.ServiceAccount.Annotations, false)
	for _, k := range sortedKeys(r.ServiceAccount.Annotations) {
		if strings.HasPrefix(k, EKSAnnotationPrefix) {
			c.Add("serviceAccount.annotations", fmt.Sprintf("sets %s, which the EKS pod identity webhook reads: zot would assume another role than the one holding its policy", k),
				"remove it and set storage.aws.credentials (irsa annotates the ServiceAccount with the program's role)")
		}
	}
}

func validToleration(c Collector, field string, t Toleration) {
	op := t.Operator
	if op == "" {
		op = "Equal"
	}
	if !slices.Contains(tolerationOperators, op) {
		c.Add(field+".operator", fmt.Sprintf("%q is not a toleration operator", t.Operator), "use Equal or Exists")
	}
	switch {
	case t.Key == "" && op != "Exists":
		c.Add(field+".key", "is empty, which only operator Exists allows (it tolerates every taint)", "name the taint's key, or use operator: Exists")
	case t.Key != "":
		if p := qualifiedKeyProblem(t.Key); p != "" {
			c.Add(field+".key", p, "use the taint's key, e.g. dedicated")
		}
	}
	if op == "Exists" && t.Value != "" {
		c.Add(field+".value", "is set, but operator Exists matches any value", "remove value, or use operator: Equal")
	}
	if t.Value != "" && (len(t.Value) > 63 || !labelValue.MatchString(t.Value)) {
		c.Add(field+".value", fmt.Sprintf("%q is not a taint value", t.Value), "use at most 63 letters, digits, '-', '_' and '.'")
	}
	if t.Effect != "" && !slices.Contains(taintEffects, t.Effect) {
		c.Add(field+".effect", fmt.Sprintf("%q is not a taint effect", t.Effect), "use one of: %s (or leave it empty for all)", strings.Join(taintEffects, ", "))
	}
	if t.TolerationSeconds != nil && t.Effect != "NoExecute" {
		c.Add(field+".tolerationSeconds", "is set, but only effect NoExecute evicts after a time", "remove it, or use effect: NoExecute")
	}
	noTemplate(c, field, t.Key+t.Value)
}

func validAffinity(c Collector, field string, a Affinity) {
	if n := a.NodeAffinity; n != nil {
		if n.Required != nil {
			f := field + ".nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
			if len(n.Required.NodeSelectorTerms) == 0 {
				c.Add(f, "is empty", "give at least one term, or remove requiredDuringSchedulingIgnoredDuringExecution")
			}
			for i, t := range n.Required.NodeSelectorTerms {
				validNodeTerm(c, fmt.Sprintf("%s[%d]", f, i), t, false)
			}
		}
		for i, p := range n.Preferred {
			f := fmt.Sprintf("%s.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[%d]", field, i)
			validWeight(c, f, p.Weight)
			validNodeTerm(c, f+".preference", p.Preference, true)
		}
	}
	for _, pa := range []struct {
		name string
		p    *PodAffinity
	}{{"podAffinity", a.PodAffinity}, {"podAntiAffinity", a.PodAntiAffinity}} {
		name, p := pa.name, pa.p
		if p == nil {
			continue
		}
		for i, t := range p.Required {
			validPodTerm(c, fmt.Sprintf("%s.%s.requiredDuringSchedulingIgnoredDuringExecution[%d]", field, name, i), t)
		}
		for i, w := range p.Preferred {
			f := fmt.Sprintf("%s.%s.preferredDuringSchedulingIgnoredDuringExecution[%d]", field, name, i)
			validWeight(c, f, w.Weight)
			validPodTerm(c, f+".podAffinityTerm", w.PodAffinityTerm)
		}
	}
}

func validWeight(c Collector, field string, w int) {
	if w < 1 || w > 100 {
		c.Add(field+".weight", fmt.Sprintf("%d is not between 1 and 100", w), "use a weight from 1 to 100")
	}
}

// validNodeTerm checks a node selector term; an empty one matches every
// node, which Kubernetes allows as a preference only.
func validNodeTerm(c Collector, field string, t NodeSelectorTerm, preference bool) {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 && !preference {
		c.Add(field, "has no matchExpressions or matchFields, so it matches no node", "give at least one requirement")
	}
	for i, r := range t.MatchExpressions {
		validRequirement(c, fmt.Sprintf("%s.matchExpressions[%d]", field, i), r, nodeOperators)
	}
	for i, r := range t.MatchFields {
		f := fmt.Sprintf("%s.matchFields[%d]", field, i)
		if r.Key != "metadata.name" {
			c.Add(f+".key", fmt.Sprintf("%q is not a node field the scheduler matches", r.Key), "use metadata.name")
		}
		if r.Operator != "In" && r.Operator != "NotIn" || len(r.Values) != 1 {
			c.Add(f, "matches metadata.name with an operator other than In or NotIn, or not exactly one value", "use operator In or NotIn with one node name")
		}
	}
}

func validPodTerm(c Collector, field string, t PodAffinityTerm) {
	if t.TopologyKey == "" {
		c.Add(field+".topologyKey", "is empty", "name a node label, e.g. kubernetes.io/hostname")
	} else if p := qualifiedKeyProblem(t.TopologyKey); p != "" {
		c.Add(field+".topologyKey", p, "name a node label, e.g. kubernetes.io/hostname")
	}
	for _, sel := range []struct {
		name string
		s    *LabelSelector
	}{{"labelSelector", t.LabelSelector}, {"namespaceSelector", t.NamespaceSelector}} {
		if sel.s == nil {
			continue
		}
		validLabels(c, field+"."+sel.name+".matchLabels", sel.s.MatchLabels, true)
		for i, r := range sel.s.MatchExpressions {
			validRequirement(c, fmt.Sprintf("%s.%s.matchExpressions[%d]", field, sel.name, i), r, labelOperators)
		}
	}
	for _, keys := range []struct {
		name string
		keys []string
	}{{"matchLabelKeys", t.MatchLabelKeys}, {"mismatchLabelKeys", t.MismatchLabelKeys}} {
		for i, k := range keys.keys {
			if p := qualifiedKeyProblem(k); p != "" {
				c.Add(fmt.Sprintf("%s.%s[%d]", field, keys.name, i), p, "name a pod label key, e.g. pod-template-hash")
			}
		}
	}
	if len(t.MatchLabelKeys)+len(t.MismatchLabelKeys) > 0 && t.LabelSelector == nil {
		c.Add(field+".labelSelector", "is missing; matchLabelKeys and mismatchLabelKeys narrow a labelSelector", "add a labelSelector")
	}
	// The API server refuses a key in both lists, and one the labelSelector
	// already names: it merges matchLabelKeys into the selector at pod
	// creation and then rejects the duplicate.
	selectorKeys := map[string]bool{}
	if t.LabelSelector != nil {
		for k := range t.LabelSelector.MatchLabels {
			selectorKeys[k] = true
		}
		for _, r := range t.LabelSelector.MatchExpressions {
			selectorKeys[r.Key] = true
		}
	}
	for i, k := range t.MatchLabelKeys {
		switch {
		case slices.Contains(t.MismatchLabelKeys, k):
			c.Add(fmt.Sprintf("%s.matchLabelKeys[%d]", field, i), fmt.Sprintf("%q is also in mismatchLabelKeys", k), "keep it in one of the two lists")
		case selectorKeys[k]:
			c.Add(fmt.Sprintf("%s.matchLabelKeys[%d]", field, i), fmt.Sprintf("%q is also a key of the labelSelector", k), "remove it from one of them")
		}
	}
	for i, ns := range t.Namespaces {
		if len(ns) > 63 || !dnsLabel.MatchString(ns) {
			c.Add(fmt.Sprintf("%s.namespaces[%d]", field, i), fmt.Sprintf("%q is not a namespace name", ns), "use a DNS-1123 label")
		}
	}
}

func validRequirement(c Collector, field string, r Requirement, operators []string) {
	if p := qualifiedKeyProblem(r.Key); p != "" {
		c.Add(field+".key", p, "name a label, e.g. topology.kubernetes.io/zone")
	}
	switch r.Operator {
	case "In", "NotIn":
		if len(r.Values) == 0 {
			c.Add(field+".values", "is empty, which "+r.Operator+" does not allow", "list at least one value")
		}
	case "Exists", "DoesNotExist":
		if len(r.Values) > 0 {
			c.Add(field+".values", "is set, which "+r.Operator+" does not allow", "remove values")
		}
	case "Gt", "Lt":
		if len(r.Values) != 1 || !integer.MatchString(r.Values[0]) {
			c.Add(field+".values", "must be one integer for "+r.Operator, "give one whole number, e.g. [\"3\"]")
		}
	}
	if !slices.Contains(operators, r.Operator) {
		c.Add(field+".operator", fmt.Sprintf("%q is not allowed here", r.Operator), "use one of: %s", strings.Join(operators, ", "))
	}
	for j, v := range r.Values {
		if len(v) > 63 || !labelValue.MatchString(v) {
			c.Add(fmt.Sprintf("%s.values[%d]", field, j), fmt.Sprintf("%q is not a label value", v), "use at most 63 letters, digits, '-', '_' and '.'")
		}
		noTemplate(c, fmt.Sprintf("%s.values[%d]", field, j), v)
	}
}

// placementSettings declare the settings whose fields this file holds (declare.go).
var placementSettings = []Setting{
	{Keys: []string{"registry.affinity.nodeAffinity", "registry.affinity.podAffinity", "registry.affinity.podAntiAffinity"},
		Doc: "The pods' affinity, a core/v1 `Affinity` (weights 1–100; `Gt`, `Lt` for nodes only), added to `availability`'s topology spread. `{{` in `nodeSelector`, `tolerations` or `affinity` is refused (the chart templates them)."},
	{Keys: []string{"registry.serviceAccount.annotations"},
		Doc: "Annotations on zot's ServiceAccount (named after `releaseName`). Keys under `eks.amazonaws.com/` are refused: they would change zot's IAM role."},
}
