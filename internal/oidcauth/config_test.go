package oidcauth

import (
	"strings"
	"testing"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		issuer, audience string
		problem          string // a part of the error; "" when accepted
	}{
		{"https://token.actions.githubusercontent.com", "https://mergeguard.example", ""},
		{"https://ghe.example.com/_services/token", "mergeguard", ""},
		{"http://127.0.0.1:8080", "mergeguard", ""},
		{"http://localhost:8080", "mergeguard", ""},
		{"http://[::1]:8080", "mergeguard", ""},
		{"", "mergeguard", "no issuer"},
		{"http://token.actions.githubusercontent.com", "mergeguard", "must use https"},
		{"http://10.0.0.1", "mergeguard", "must use https"},
		{"token.actions.githubusercontent.com", "mergeguard", "no host"},
		{"ftp://token.example", "mergeguard", "https URL"},
		{"https://user:pw@token.example", "mergeguard", "credentials"},
		{"https://token.example?x=1", "mergeguard", "query"},
		{"https://token.example/%zz", "mergeguard", "not a URL"},
		{"https://token.actions.githubusercontent.com", "", "no audience"},
		{"https://token.actions.githubusercontent.com", "   ", "no audience"},
		{"https://token.actions.githubusercontent.com", "mergeguard ", "spaces"},
	}
	for _, tc := range tests {
		v, err := New(Config{Issuer: tc.issuer, Audience: tc.audience})
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("New(%q, %q): %v", tc.issuer, tc.audience, err)
		case tc.problem == "" && v == nil:
			t.Errorf("New(%q, %q) returned no verifier", tc.issuer, tc.audience)
		case tc.problem != "" && err == nil:
			t.Errorf("New(%q, %q) accepted; want an error about %q", tc.issuer, tc.audience, tc.problem)
		case tc.problem != "" && !strings.Contains(err.Error(), tc.problem):
			t.Errorf("New(%q, %q): %v; want it to mention %q", tc.issuer, tc.audience, err, tc.problem)
		}
	}
}
