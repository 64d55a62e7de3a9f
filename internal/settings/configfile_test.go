package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseConfigFile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
		err  string
	}{
		{"empty", "", map[string]string{}, ""},
		{"comments and blanks", "# written by mergeguard setup\n\n  # indented\nMERGEGUARD_APP_ID=42\n", map[string]string{"MERGEGUARD_APP_ID": "42"}, ""},
		{"CRLF and BOM", "\ufeffMERGEGUARD_APP_ID=42\r\nMERGEGUARD_MODE=report\r\n", map[string]string{"MERGEGUARD_APP_ID": "42", "MERGEGUARD_MODE": "report"}, ""},
		{"export prefix", "export MERGEGUARD_APP_ID=42", map[string]string{"MERGEGUARD_APP_ID": "42"}, ""},
		{"quotes removed", "MERGEGUARD_CHECK_NAME=\"merge gate\"\nMERGEGUARD_MODE='report'", map[string]string{"MERGEGUARD_CHECK_NAME": "merge gate", "MERGEGUARD_MODE": "report"}, ""},
		{"unmatched quote kept", `MERGEGUARD_CHECK_NAME="gate`, map[string]string{"MERGEGUARD_CHECK_NAME": `"gate`}, ""},
		{"value with = and escapes kept", `MERGEGUARD_PRIVATE_KEY=-----BEGIN-----\nAB==\n-----END-----\n`, map[string]string{"MERGEGUARD_PRIVATE_KEY": `-----BEGIN-----\nAB==\n-----END-----\n`}, ""},
		{"empty value", "MERGEGUARD_MODE=", map[string]string{"MERGEGUARD_MODE": ""}, ""},
		{"no equals sign", "MERGEGUARD_APP_ID 42", nil, "line 1: expected NAME=VALUE"},
		{"no name", "=42", nil, "line 1: expected NAME=VALUE"},
		{"foreign name", "GOMEMLIMIT=100MiB", nil, "line 1: not a MERGEGUARD_ setting"},
		{"lower case", "mergeguard_app_id=1", nil, "not a MERGEGUARD_ setting"},
		{"a key over several lines", "MERGEGUARD_PRIVATE_KEY=-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQ==\n", nil, "line 2: not a MERGEGUARD_ setting (a value must fit on one line"},
		{"nested file", "MERGEGUARD_CONFIG_FILE=other.env", nil, "cannot name another file"},
		{"twice", "MERGEGUARD_APP_ID=1\n\nMERGEGUARD_APP_ID=2", nil, "line 3: MERGEGUARD_APP_ID is already set on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfigFile([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "MIIE") {
					t.Fatalf("the error quotes key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func FuzzParseConfigFile(f *testing.F) {
	f.Add([]byte("MERGEGUARD_APP_ID=42\nMERGEGUARD_WEBHOOK_SECRET='s'\n# c\n"))
	f.Add([]byte("\ufeffexport MERGEGUARD_X=\"\"\r\n=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := parseConfigFile(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for name, v := range values {
			if !configName.MatchString(name) || name == EnvConfigFile {
				t.Fatalf("accepted the name %q", name)
			}
			if strings.Contains(v, "\n") {
				t.Fatalf("a value spans lines: %q", v)
			}
		}
	})
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// writeConfig writes a configuration file with the given mode.
func writeConfig(t *testing.T, dir, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, "mergeguard.env")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // the umask may have narrowed it
		t.Fatal(err)
	}
	return p
}

func TestWithConfigFile(t *testing.T) {
	keyPEM := testKeyPEM(t)
	inline := strings.ReplaceAll(keyPEM, "\n", `\n`)
	dir := t.TempDir()
	full := writeConfig(t, dir, "# mergeguard setup\nMERGEGUARD_APP_ID=777\nMERGEGUARD_WEBHOOK_SECRET=from-file\nMERGEGUARD_PRIVATE_KEY="+inline+"\n", 0o600)

	noFile := func(string) ([]byte, error) { return nil, os.ErrNotExist }

	t.Run("the file fills in what the environment leaves unset", func(t *testing.T) {
		getenv, err := WithConfigFile(envOf(map[string]string{EnvConfigFile: full, EnvWebhookSecret: "from-env", EnvCheckName: "gate"}))
		if err != nil {
			t.Fatal(err)
		}
		s, err := FromEnv(getenv, noFile)
		if err != nil {
			t.Fatal(err)
		}
		if s.AppID != 777 || string(s.WebhookSecret) != "from-env" || s.CheckName != "gate" || s.PrivateKey == nil {
			t.Fatalf("settings %+v", s)
		}
	})

	t.Run("a key in the environment replaces the file's, in either form", func(t *testing.T) {
		getenv, err := WithConfigFile(envOf(map[string]string{EnvConfigFile: full, EnvPrivateKeyFile: "/keys/app.pem"}))
		if err != nil {
			t.Fatal(err)
		}
		if getenv(EnvPrivateKey) != "" || getenv(EnvPrivateKeyFile) != "/keys/app.pem" {
			t.Fatalf("key %q, key file %q", getenv(EnvPrivateKey), getenv(EnvPrivateKeyFile))
		}
	})

	t.Run("a relative key file is beside the configuration file", func(t *testing.T) {
		sub := t.TempDir()
		p := writeConfig(t, sub, "MERGEGUARD_PRIVATE_KEY_FILE=app.pem\n", 0o600)
		getenv, err := WithConfigFile(envOf(map[string]string{EnvConfigFile: p}))
		if err != nil {
			t.Fatal(err)
		}
		if got := getenv(EnvPrivateKeyFile); got != filepath.Join(sub, "app.pem") {
			t.Fatalf("key file %q", got)
		}
	})

	t.Run("mergeguard.env in the working directory is the default", func(t *testing.T) {
		t.Chdir(dir)
		getenv, err := WithConfigFile(envOf(nil))
		if err != nil {
			t.Fatal(err)
		}
		if getenv(EnvAppID) != "777" {
			t.Fatalf("app id %q", getenv(EnvAppID))
		}
	})

	t.Run("no default file is no error", func(t *testing.T) {
		t.Chdir(t.TempDir())
		getenv, err := WithConfigFile(envOf(map[string]string{EnvAppID: "5"}))
		if err != nil || getenv(EnvAppID) != "5" {
			t.Fatalf("%v, %q", err, getenv(EnvAppID))
		}
	})

	bad := []struct {
		name string
		path func(t *testing.T) string
		says string
	}{
		{"a named file that is missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.env") }, "does not exist"},
		{"a directory", func(t *testing.T) string { return t.TempDir() }, "not a regular file"},
		{"a malformed file", func(t *testing.T) string {
			return writeConfig(t, t.TempDir(), "MERGEGUARD_APP_ID=1\nnonsense\n", 0o600)
		}, "mergeguard.env line 2: expected NAME=VALUE"},
		{"readable by others", func(t *testing.T) string {
			if runtime.GOOS == "windows" {
				t.Skip("file modes are a unix matter")
			}
			return writeConfig(t, t.TempDir(), "MERGEGUARD_APP_ID=1\n", 0o644)
		}, "open to other users (mode 0644) and holds the App's secrets; run chmod 600"},
		{"writable by the group", func(t *testing.T) string {
			if runtime.GOOS == "windows" {
				t.Skip("file modes are a unix matter")
			}
			return writeConfig(t, t.TempDir(), "MERGEGUARD_APP_ID=1\n", 0o620)
		}, "mode 0620"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WithConfigFile(envOf(map[string]string{EnvConfigFile: tt.path(t)}))
			var ve *VariableError
			if !errors.As(err, &ve) || ve.Name != EnvConfigFile || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, EnvConfigFile, tt.says)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("start-up errors are one line: %q", err)
			}
		})
	}
}

// TestThePrivateKeyFileMustBeTheOwnersAlone reads the key as the server
// does: a key file other users may read is refused, like the
// configuration file.
func TestThePrivateKeyFileMustBeTheOwnersAlone(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are a unix matter")
	}
	keyPEM := testKeyPEM(t)
	tests := []struct {
		mode os.FileMode
		says string
	}{
		{0o600, ""},
		{0o400, ""},
		{0o644, "open to other users (mode 0644), and whoever reads the App's private key can act as the App; run chmod 600"},
		{0o640, "mode 0640"},
		{0o602, "mode 0602"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%04o", tt.mode), func(t *testing.T) {
			key := filepath.Join(t.TempDir(), "app.pem")
			if err := os.WriteFile(key, []byte(keyPEM), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(key, tt.mode); err != nil {
				t.Fatal(err)
			}
			env := envOf(map[string]string{EnvAppID: "1", EnvWebhookSecret: "s", EnvPrivateKeyFile: key})
			s, err := FromEnv(env, ReadPrivateKeyFile)
			if tt.says == "" {
				if err != nil || s.PrivateKey == nil {
					t.Fatalf("an owner-only key file is read: %v", err)
				}
				return
			}
			var ve *VariableError
			if !errors.As(err, &ve) || ve.Name != EnvPrivateKeyFile || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, EnvPrivateKeyFile, tt.says)
			}
		})
	}
}
