package githubapp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mergeguard/mergeguard/internal/githubapp"
	"github.com/mergeguard/mergeguard/internal/testsupport/fakegithub"
)

func TestFileAtReadsRawContentWithinALimit(t *testing.T) {
	gh := fakegithub.New(t)
	repo := gh.AddRepo(7, "acme", "shop")
	big := strings.Repeat("var x = 1 // generated\n", 60_000) // 1.4 MB: past the JSON form's 1 MB
	sha := repo.CommitFiles("", "Initial", map[string]string{"shop/big file.go": big, "shop/a.go": "package shop\n"})
	inst := installation(t, gh, 7)
	ctx := context.Background()

	got, found, err := inst.FileAt(ctx, "acme", "shop", "shop/big file.go", sha, 4<<20)
	if err != nil || !found || string(got) != big {
		t.Fatalf("%d bytes, found %v, %v", len(got), found, err)
	}
	if _, found, err := inst.FileAt(ctx, "acme", "shop", "shop/gone.go", sha, 4<<20); err != nil || found {
		t.Fatalf("a missing file: found %v, %v", found, err)
	}
	_, found, err = inst.FileAt(ctx, "acme", "shop", "shop/big file.go", sha, 1<<20)
	var tooLarge *githubapp.FileTooLargeError
	if !errors.As(err, &tooLarge) || found || tooLarge.Path != "shop/big file.go" || tooLarge.Limit != 1<<20 {
		t.Fatalf("over the limit: found %v, %v", found, err)
	}

	// Read again, an unchanged small file costs a conditional request,
	// which GitHub does not count against the rate limit.
	gh.ResetRequests()
	if got, _, err := inst.FileAt(ctx, "acme", "shop", "shop/a.go", sha, 1<<20); err != nil || string(got) != "package shop\n" {
		t.Fatalf("first read: %q %v", got, err)
	}
	if got, _, err := inst.FileAt(ctx, "acme", "shop", "shop/a.go", sha, 1<<20); err != nil || string(got) != "package shop\n" {
		t.Fatalf("second read: %q %v", got, err)
	}
	reqs := gh.Requests()
	if len(reqs) != 2 || reqs[0].IfNoneMatch || !reqs[1].IfNoneMatch {
		t.Fatalf("requests %+v: want a plain read, then a conditional one", reqs)
	}
}
