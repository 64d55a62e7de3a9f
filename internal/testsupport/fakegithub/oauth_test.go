package fakegithub_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/appsetup"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
	"github.com/mergeguard/mergeguard/internal/ui"
)

// TestSignInCodes: a code works once, for the App's client and the
// redirect URI it was issued for, as GitHub's web flow does.
func TestSignInCodes(t *testing.T) {
	gh := fakegithub.New(t)
	web, err := appsetup.WebURL(gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	const callback = "https://mg.example.com/ui/callback"
	client := func(secret string) *ui.OAuth {
		return &ui.OAuth{ClientID: fakegithub.OAuthClientID, ClientSecret: secret, WebURL: web, APIURL: gh.URL()}
	}
	ctx := context.Background()
	for _, tt := range []struct {
		name, secret, redirect string
		reuse                  bool
		err                    string
	}{
		{name: "good", secret: fakegithub.OAuthClientSecret, redirect: callback},
		{name: "wrong secret", secret: "guess", redirect: callback, err: "incorrect_client_credentials"},
		{name: "another callback", secret: fakegithub.OAuthClientSecret, redirect: "https://evil.example.com/cb", err: "redirect_uri_mismatch"},
		{name: "used twice", secret: fakegithub.OAuthClientSecret, redirect: callback, reuse: true, err: "bad_verification_code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code := gh.SignInCode("ada", callback)
			if tt.reuse {
				if _, err := client(tt.secret).Exchange(ctx, code, tt.redirect); err != nil {
					t.Fatal(err)
				}
			}
			tok, err := client(tt.secret).Exchange(ctx, code, tt.redirect)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u, err := client(tt.secret).User(ctx, tok); err != nil || u.Login != "ada" {
				t.Fatalf("user %+v, %v", u, err)
			}
			if _, err := client(tt.secret).User(ctx, "ghu_forged"); err == nil {
				t.Fatal("a forged token was answered")
			}
		})
	}
}
