// Package httpjson writes the JSON answers of mergeguard's HTTP endpoints
// (health, readiness, the webhook, coverage uploads), so that every one of
// them sets the same Content-Type and encodes the same way.
package httpjson

import (
	"encoding/json"
	"net/http"
)

// Write answers with status and v encoded as JSON. An encoding or write
// error is dropped: the status line has been sent, and a client that went
// away cannot be told anything more.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
