package checkrun

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mergeguard/mergeguard/internal/decision"
)

// lostAnswer is a write GitHub may have carried out (a 502 after the fact).
type lostAnswer struct{}

func (lostAnswer) Error() string        { return "HTTP 502, not sent again" }
func (lostAnswer) OutcomeUnknown() bool { return true }

func TestACreationWhoseAnswerWasLostIsLookedUpNotRepeated(t *testing.T) {
	tests := []struct {
		name string
		// outcomes of successive creations: "ghost" (carried out, answer
		// lost), "lost" (not carried out, answer lost), "ok".
		outcomes []string
		want     string
		runs     int
	}{
		{"carried out", []string{"ghost"}, "[{find 0 } {create 1 } {find 0 }]", 1},
		{"not carried out", []string{"lost", "ok"}, "[{find 0 } {create 1 } {find 0 } {create 1 }]", 1},
		{"lost three times", []string{"lost", "lost", "lost"}, "[{find 0 } {create 1 } {find 0 } {create 1 } {find 0 } {create 1 }]", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := &scripted{outcomes: tt.outcomes}
			p := &Publisher{State: newState(t), Name: "mergeguard", AppID: 1, Now: time.Now}
			v, out := verdict(1, true)
			res, err := p.Publish(context.Background(), gh, Target{Head: decision.Head{SHA: "abc"}, RepoID: 1}, v, out)
			if fmt.Sprint(gh.calls) != tt.want || gh.runs != tt.runs {
				t.Fatalf("calls %v with %d check runs, want %s with %d", gh.calls, gh.runs, tt.want, tt.runs)
			}
			if tt.runs == 1 && (err != nil || res.CheckRunID != 99 || !res.Created) {
				t.Fatalf("publish: %+v, %v", res, err)
			}
			if tt.runs == 0 && err == nil {
				t.Fatal("three lost creations must fail the publication (the job tries again)")
			}
		})
	}
}

// scripted plays the outcomes of successive creations.
type scripted struct {
	fakeGitHub
	outcomes []string
	runs     int
}

func (s *scripted) FindCheckRun(ctx context.Context, owner, repo, sha, name string, appID int64) (int64, error) {
	s.calls = append(s.calls, call{op: "find"})
	if s.runs > 0 {
		return 99, nil
	}
	return 0, nil
}

func (s *scripted) CreateCheckRun(ctx context.Context, owner, repo string, o decision.CheckRunWrite) (int64, error) {
	s.calls = append(s.calls, call{op: "create", annotations: len(o.Annotations)})
	outcome := s.outcomes[0]
	s.outcomes = s.outcomes[1:]
	switch outcome {
	case "ghost":
		s.runs++
		return 0, lostAnswer{}
	case "lost":
		return 0, lostAnswer{}
	}
	s.runs++
	return 99, nil
}
