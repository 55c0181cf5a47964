package spec

import "testing"

// MayIntersect never answers false where a repository matches both globs
// (the cases a review found the first check missed are here), and answers
// false for disjoint literal prefixes.
func TestMayIntersect(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"team-a/**", "docker.io/**", false},
		{"docker.iox/**", "docker.io/**", false},
		{"docker.io/library/**", "docker.io/**", true},
		{"*/library/**", "docker.io/**", true},
		{"*/library/alpine/**", "docker.io/**", true},
		{"**/alpine", "docker.io/**", true},
		{"*/*/alpine*", "docker.io/**", true},
		{"{docker.io,x}/**", "docker.io/**", true},
		{"{team-a,team-b}/**", "docker.io/**", false},
		{"team-a/**", "team-?/**", true},
		{"team-a/**", "team-b/**", false},
		{"docker.io", "docker.io/**", true}, // doublestar: a/** matches a itself
		{"a/{b,c/d}/**", "a/c/d/e", true},
	} {
		if got := MayIntersect(tc.a, tc.b); got != tc.want {
			t.Errorf("MayIntersect(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := MayIntersect(tc.b, tc.a); got != tc.want {
			t.Errorf("MayIntersect(%q, %q) = %v, want %v (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}
