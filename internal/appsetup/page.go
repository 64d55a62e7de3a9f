package appsetup

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
)

// JSON is the manifest as the form field GitHub reads.
func (m Manifest) JSON() ([]byte, error) { return json.Marshal(m) }

// autoSubmit sends the form as soon as the page loads; the button is there
// for browsers that run no scripts.
const autoSubmit = `document.getElementById("manifest-form").submit();`

// autoSubmitHash lets exactly that script run under the page's
// Content-Security-Policy.
var autoSubmitHash = func() string {
	sum := sha256.Sum256([]byte(autoSubmit))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

const style = `<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5}code{word-break:break-all}</style>`

var startPage = template.Must(template.New("start").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register mergeguard on GitHub</title>` + style + `</head>
<body>
<h1>Register mergeguard on GitHub</h1>
<p>This page sends GitHub the manifest of a new GitHub App, <strong>{{.Name}}</strong>, owned by
{{if .Org}}the organization <strong>{{.Org}}</strong>{{else}}your account{{end}}, with its webhook at <code>{{.Hook}}</code>.
GitHub asks you to confirm, then sends you back here, and <code>mergeguard setup</code> saves the App's credentials.</p>
<form id="manifest-form" method="post" action="{{.Action}}">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<button type="submit">Continue to GitHub</button>
</form>
<script>` + autoSubmit + `</script>
</body></html>
`))

var donePage = template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mergeguard is registered</title>` + style + `</head>
<body>
<h1>mergeguard is registered</h1>
<p>GitHub App {{.Result.Slug}} (App ID {{.Result.AppID}}) exists, and its credentials are saved in <code>{{.Result.Path}}</code>.</p>
<p>Next, <a href="{{.Result.InstallURL}}">install it on the repositories it should guard</a>, and start <code>mergeguard serve</code>.
The terminal where <code>mergeguard setup</code> ran says the same. You can close this tab.</p>
</body></html>
`))

var messagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>` + style + `</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Text}}</p>
</body></html>
`))

func render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
