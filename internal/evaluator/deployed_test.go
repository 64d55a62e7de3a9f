package evaluator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
	policysource "github.com/mergeguard/mergeguard/internal/policy/source"
)

type resolveFunc func(ctx context.Context) (policysource.Resolved, error)

func (f resolveFunc) Resolve(ctx context.Context, _ policysource.GitHub, _ policysource.For) (policysource.Resolved, error) {
	return f(ctx)
}

// A deployment status is acted on while GitHub waits for the webhook's
// answer: the policy resolve it makes is bounded, and a resolve that
// cannot finish sweeps the repository rather than holding the delivery.
func TestADeploymentStatusBoundsItsPolicyResolve(t *testing.T) {
	sweeps := &recordedSweeps{}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var deadline time.Time
	var bounded bool
	d := Deployed{
		GitHub: func(int64) policysource.GitHub { return nil },
		Policies: resolveFunc(func(ctx context.Context) (policysource.Resolved, error) {
			deadline, bounded = ctx.Deadline()
			return policysource.Resolved{}, errors.New("GitHub is slow")
		}),
		Sweeps: sweeps,
		Now:    func() time.Time { return now },
	}
	before := time.Now()
	err := d.DeploymentStatus(context.Background(), decision.DeploymentStatus{
		InstallationID: 1, RepoID: 2, Owner: "acme", Repo: "shop", DefaultBranch: "main", Environment: "staging", State: "success", DeploymentID: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bounded || deadline.Sub(before) > resolveOnDelivery+time.Second {
		t.Errorf("the resolve ran without a bound of %s (deadline set: %v)", resolveOnDelivery, bounded)
	}
	want := "repo 1 2 acme/shop 2026-12-07T10:00:00Z deployment 3 to staging: success"
	if len(sweeps.calls) != 1 || sweeps.calls[0] != want {
		t.Errorf("sweeps %q; want acme/shop swept when its policy cannot be resolved", sweeps.calls)
	}
}
