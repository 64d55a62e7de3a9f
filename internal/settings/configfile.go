package settings

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// EnvConfigFile names a file of NAME=VALUE lines that supplies the variables
// the environment leaves unset. `mergeguard setup` writes one.
const EnvConfigFile = "MERGEGUARD_CONFIG_FILE"

// DefaultConfigFile is read from the working directory when
// MERGEGUARD_CONFIG_FILE is unset, if it exists.
const DefaultConfigFile = "mergeguard.env"

// maxConfigFile bounds the file: a few settings and one private key.
const maxConfigFile = 1 << 20

var configName = regexp.MustCompile(`^MERGEGUARD_[A-Z0-9_]+$`)

// WithConfigFile returns getenv extended with the values of the configuration
// file (MERGEGUARD_CONFIG_FILE, or mergeguard.env in the working directory
// when that exists). A variable set in the environment wins over the file.
// The file holds the App's private key and webhook secret, so one that other
// users may read is refused.
func WithConfigFile(getenv func(string) string) (func(string) string, error) {
	path := strings.TrimSpace(getenv(EnvConfigFile))
	explicit := path != ""
	if !explicit {
		path = DefaultConfigFile
	}
	data, err := ReadSecretFile(path, maxConfigFile)
	var exposed *ExposedFileError
	switch {
	case errors.Is(err, os.ErrNotExist) && !explicit:
		return getenv, nil
	case errors.Is(err, os.ErrNotExist):
		return nil, &VariableError{EnvConfigFile, fmt.Sprintf("%s does not exist; give the file `mergeguard setup` wrote, or unset the variable", path)}
	case errors.As(err, &exposed):
		return nil, &VariableError{EnvConfigFile, fmt.Sprintf("%s is open to other users (mode %04o) and holds the App's secrets; run chmod 600 %s", path, exposed.Mode, path)}
	case err != nil:
		return nil, &VariableError{EnvConfigFile, fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	values, err := parseConfigFile(data)
	if err != nil {
		return nil, &VariableError{EnvConfigFile, fmt.Sprintf("%s %v", path, err)}
	}
	// A relative key file is where the configuration file is, wherever the
	// server is started from.
	if p := values[EnvPrivateKeyFile]; p != "" && !filepath.IsAbs(p) {
		values[EnvPrivateKeyFile] = filepath.Join(filepath.Dir(path), p)
	}
	return func(name string) string {
		if v := getenv(name); strings.TrimSpace(v) != "" {
			return v
		}
		// The key is one setting in two forms: a key given in the
		// environment replaces the file's, whichever form either uses.
		if name == EnvPrivateKey || name == EnvPrivateKeyFile {
			if strings.TrimSpace(getenv(EnvPrivateKey)) != "" || strings.TrimSpace(getenv(EnvPrivateKeyFile)) != "" {
				return ""
			}
		}
		return values[name]
	}, nil
}

// parseConfigFile reads NAME=VALUE lines: blank lines and lines starting with
// # are skipped, an optional "export " prefix and matching quotes around the
// value are removed, and nothing is expanded. Errors never quote values,
// which may be secrets.
func parseConfigFile(data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	values := map[string]string{}
	lineOf := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("line %d: expected NAME=VALUE", n)
		}
		if !configName.MatchString(name) {
			// The name is not quoted: a private key pasted over several
			// lines would put key material there.
			return nil, fmt.Errorf("line %d: not a MERGEGUARD_ setting (a value must fit on one line: give the private key with \\n for its line breaks, or as MERGEGUARD_PRIVATE_KEY_FILE)", n)
		}
		if name == EnvConfigFile {
			return nil, fmt.Errorf("line %d: %s cannot name another file from inside one", n, EnvConfigFile)
		}
		if first, dup := lineOf[name]; dup {
			return nil, fmt.Errorf("line %d: %s is already set on line %d", n, name, first)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		values[name], lineOf[name] = value, n
	}
	return values, nil
}
