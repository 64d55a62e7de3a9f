package appsetup

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mergeguard/mergeguard/internal/settings"
)

// Credentials renders the App's settings as the NAME=VALUE file `mergeguard
// serve` reads (settings.WithConfigFile). The private key is on one line with
// \n for its line breaks, so the same file also works as `docker run
// --env-file`, a Compose env_file and `kubectl create secret generic
// --from-env-file`. apiURL is written only when it is not github.com's.
//
// The App's OAuth client is saved too, and with it the web view is turned
// on at publicURL with sessionKey sealing its sessions, when publicURL can
// host it (see WebViewURL).
func Credentials(c Conversion, apiURL, publicURL string, sessionKey []byte, now time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# mergeguard's GitHub App %s, registered by mergeguard setup on %s.\n", c.Slug, now.UTC().Format(time.RFC3339))
	if c.HTMLURL != "" {
		fmt.Fprintf(&b, "# App page: %s\n", c.HTMLURL)
	}
	b.WriteString("# It holds the App's private key, webhook secret and OAuth client secret: keep it readable by you only.\n")
	fmt.Fprintf(&b, "%s=%s\n", settings.EnvAppID, strconv.FormatInt(c.ID, 10))
	fmt.Fprintf(&b, "%s=%s\n", settings.EnvWebhookSecret, c.WebhookSecret)
	key := strings.ReplaceAll(strings.TrimRight(c.PEM, "\n")+"\n", "\r", "")
	fmt.Fprintf(&b, "%s=%s\n", settings.EnvPrivateKey, strings.ReplaceAll(key, "\n", `\n`))
	if apiURL != "" && apiURL != "https://api.github.com/" {
		fmt.Fprintf(&b, "%s=%s\n", settings.EnvGitHubAPIURL, apiURL)
	}
	oneLine := func(s string) bool { return s != "" && !strings.ContainsAny(s, "\r\n") }
	if !oneLine(c.ClientID) || !oneLine(c.ClientSecret) {
		b.WriteString("# GitHub returned no OAuth client: the web view (/ui/) stays off until one is configured.\n")
		return []byte(b.String())
	}
	web, ok := WebViewURL(publicURL)
	if !ok || len(sessionKey) == 0 {
		b.WriteString("# The web view (/ui/) needs the server at the root of a host: set MERGEGUARD_PUBLIC_URL and MERGEGUARD_SESSION_KEY to turn it on.\n")
		b.WriteString("#")
	}
	fmt.Fprintf(&b, "%s=%s\n", settings.EnvOAuthClientID, c.ClientID)
	if !ok || len(sessionKey) == 0 {
		b.WriteString("#")
	}
	fmt.Fprintf(&b, "%s=%s\n", settings.EnvOAuthSecret, c.ClientSecret)
	if ok && len(sessionKey) > 0 {
		fmt.Fprintf(&b, "%s=%s\n", settings.EnvPublicURL, web)
		fmt.Fprintf(&b, "%s=%s\n", settings.EnvSessionKey, hex.EncodeToString(sessionKey))
	}
	return []byte(b.String())
}

// CheckTarget fails early when path exists and force is off, so nobody
// registers an App whose credentials then cannot be written.
func CheckTarget(path string, force bool) error {
	if force {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists: it may hold another App's credentials; choose another file with --out, or replace it with --force", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("cannot write %s: the folder %s does not exist", path, dir)
	}
	return nil
}

// WriteFile writes data to path with mode 0600, atomically: a reader sees
// the old file or the whole new one, never a part. Without force an existing
// file is left alone and an error returned.
func WriteFile(path string, data []byte, force bool) (err error) {
	dir := filepath.Dir(path)
	// CreateTemp makes the file 0600 from the start: the key is never
	// readable by others, not even for a moment.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if force {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	// A hard link fails when path exists, so a file that appeared since
	// CheckTarget is not replaced.
	exists := fmt.Errorf("%s already exists: choose another file with --out, or replace it with --force", path)
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return exists
		}
		// Some file systems have no hard links: check, then rename.
		if _, serr := os.Lstat(path); serr == nil {
			return exists
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	os.Remove(tmp.Name())
	return nil
}
