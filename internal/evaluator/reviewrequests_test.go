package evaluator

import (
	"slices"
	"testing"

	"github.com/mergeguard/mergeguard/internal/decision"
	"github.com/mergeguard/mergeguard/internal/facts"
)

func TestReviewersToAskLeaveOutWhoCannotOrNeedNotBeAsked(t *testing.T) {
	approved := func(login string) facts.Review {
		return facts.Review{Author: facts.Actor{Login: login}, State: "APPROVED"}
	}
	tests := []struct {
		name      string
		want      decision.ReviewRequest
		requested []string
		reqTeams  []string
		reviews   []facts.Review
		users     []string
		teams     []string
	}{
		{"users and the organization's teams", decision.ReviewRequest{Users: []string{"Lee", "bo"}, Teams: []string{"ACME/Payments", "acme/sre"}}, nil, nil, nil,
			[]string{"bo", "lee"}, []string{"payments", "sre"}},
		{"never the author", decision.ReviewRequest{Users: []string{"Dev", "lee"}}, nil, nil, nil, []string{"lee"}, nil},
		{"not another organization's team", decision.ReviewRequest{Teams: []string{"other/team", "acme/sre"}}, nil, nil, nil, nil, []string{"sre"}},
		{"not who is already requested", decision.ReviewRequest{Users: []string{"lee", "bo"}, Teams: []string{"acme/sre", "acme/payments"}}, []string{"LEE"}, []string{"sre"}, nil,
			[]string{"bo"}, []string{"payments"}},
		{"not who approved, even an approval gone stale", decision.ReviewRequest{Users: []string{"lee", "bo"}}, nil, nil, []facts.Review{approved("Bo"), {Author: facts.Actor{Login: "lee"}, State: "CHANGES_REQUESTED"}},
			[]string{"lee"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Assessment{RequestedUsers: tt.requested, RequestedTeams: tt.reqTeams}
			a.Input.PullRequest.Author.Login = "dev"
			a.Input.Reviews = tt.reviews
			users, teams := reviewersToAsk(tt.want, "acme", a)
			if !slices.Equal(users, tt.users) || !slices.Equal(teams, tt.teams) {
				t.Errorf("users %q teams %q, want %q %q", users, teams, tt.users, tt.teams)
			}
		})
	}
}
