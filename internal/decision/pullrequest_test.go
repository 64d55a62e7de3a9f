package decision

import "testing"

func TestParseRepo(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Repo
		wantErr bool
	}{
		{in: "acme/shop", want: Repo{Owner: "acme", Name: "shop"}},
		{in: "acme/shop.go", want: Repo{Owner: "acme", Name: "shop.go"}},
		{in: "acme", wantErr: true},
		{in: "/shop", wantErr: true},
		{in: "acme/", wantErr: true},
		{in: "acme/shop/extra", wantErr: true},
		{in: "", wantErr: true},
	} {
		got, err := ParseRepo(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseRepo(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil && got.String() != tc.in {
			t.Errorf("ParseRepo(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestPullRequestAndShortSHA(t *testing.T) {
	pr := PullRequest{Installation: 7, Repo: Repo{Owner: "acme", Name: "shop"}, Number: 42}
	if got := pr.String(); got != "acme/shop#42" {
		t.Errorf("String() = %q", got)
	}
	if got := ShortSHA("0123456789abcdef"); got != "0123456" {
		t.Errorf("ShortSHA = %q", got)
	}
	if got := ShortSHA("abc"); got != "abc" {
		t.Errorf("ShortSHA(short) = %q", got)
	}
}
