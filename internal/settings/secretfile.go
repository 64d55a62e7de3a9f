package settings

import (
	"fmt"
	"io"
	"os"
	"runtime"
)

// ExposedFileError is a file of secrets that other users may read.
type ExposedFileError struct {
	Path string
	Mode os.FileMode
}

func (e *ExposedFileError) Error() string {
	return fmt.Sprintf("%s is open to other users (mode %04o); run chmod 600 %s", e.Path, e.Mode, e.Path)
}

// ReadSecretFile reads a file that holds secrets (the configuration file,
// the App's private key), up to limit bytes. A file that is not regular, or
// that users other than its owner may read or write, is refused with an
// *ExposedFileError: a key anyone on the host can read is a key anyone can
// use to act as the App.
func ReadSecretFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Stat the open file, not the path, so the file checked is the file read.
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, &ExposedFileError{Path: path, Mode: perm}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d KiB", path, limit>>10)
	}
	return data, nil
}

// maxKeyFile bounds the private key file: a 4096-bit RSA key in PEM is
// about 3 KiB.
const maxKeyFile = 64 << 10

// ReadPrivateKeyFile reads the App's private key file for FromEnv.
func ReadPrivateKeyFile(path string) ([]byte, error) { return ReadSecretFile(path, maxKeyFile) }
