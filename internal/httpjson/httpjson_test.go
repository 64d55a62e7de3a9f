package httpjson

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		v      any
		want   string
	}{
		{"object", http.StatusOK, map[string]string{"status": "ok"}, `{"status":"ok"}`},
		{"error status", http.StatusServiceUnavailable, map[string]any{"ready": false}, `{"ready":false}`},
		{"unencodable value still answers the status", http.StatusCreated, func() {}, ``},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, tt.status, tt.v)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tt.want == "" {
				if rec.Body.Len() != 0 {
					t.Errorf("body %q, want none", rec.Body)
				}
				return
			}
			var got any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			if g, _ := json.Marshal(got); string(g) != tt.want {
				t.Errorf("body %s, want %s", g, tt.want)
			}
		})
	}
}
