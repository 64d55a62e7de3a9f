package fakegithub

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strings"
)

// CommitFiles creates a commit on branch (the default branch when "") that
// writes files and deletes the paths in remove, on top of the branch's
// previous commit, and returns its SHA. The first commit on the default
// branch creates the repository's content.
func (r *Repo) CommitFiles(branch, message string, files map[string]string, remove ...string) string {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if branch == "" {
		branch = r.defaultBranch
	}
	tree := map[string]string{}
	if parent, ok := r.branches[branch]; ok {
		for p, c := range r.trees[parent] {
			tree[p] = c
		}
	} else if parent, ok := r.branches[r.defaultBranch]; ok {
		for p, c := range r.trees[parent] {
			tree[p] = c
		}
	}
	for p, c := range files {
		tree[p] = c
	}
	for _, p := range remove {
		delete(tree, p)
	}
	keys := make([]string, 0, len(tree))
	for p := range tree {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	parts := []string{"commit", r.FullName(), branch, message, r.branches[branch]}
	for _, p := range keys {
		parts = append(parts, p, tree[p])
	}
	sha := FakeSHA(parts...)
	r.trees[sha] = tree
	r.messages[sha] = message
	r.branches[branch] = sha
	return sha
}

// Branch returns the commit a branch points at ("" when it does not exist).
func (r *Repo) Branch(name string) string {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.branches[name]
}

// gitBlobSHA is the SHA git gives a file's content.
func gitBlobSHA(content string) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(content), content)))
	return hex.EncodeToString(sum[:])
}

func (s *Server) getRepo(w *responder, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	full := s.repoJSON(rp)
	full["network_count"], full["subscribers_count"] = 0, 3
	return 200, full
}

// getCommit implements GET /repos/{owner}/{repo}/commits/{ref}: the commit,
// or only its SHA as text when asked with the vnd.github.sha media type.
func (s *Server) getCommit(w *responder, r *http.Request) (int, any) {
	ref := r.PathValue("ref")
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	sha := ref
	if b, ok := rp.branches[strings.TrimPrefix(ref, "heads/")]; ok {
		sha = b
	}
	if _, ok := rp.trees[sha]; !ok {
		return 422, errorBody("No commit found for SHA: " + ref)
	}
	if strings.Contains(r.Header.Get("Accept"), "sha") {
		w.Header().Set("Content-Type", "application/vnd.github.sha; charset=utf-8")
		return 200, rawBody(sha)
	}
	p := &PR{repo: rp, Author: "octo-dev", AuthorType: "User", created: rp.created}
	return 200, s.commitJSON(p, commit{sha: sha, message: rp.messages[sha]}, "")
}

// getTree implements GET /repos/{owner}/{repo}/git/trees/{tree_sha}; a
// commit SHA or branch name stands for its tree, as on GitHub.
func (s *Server) getTree(w *responder, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	sha := r.PathValue("tree_sha")
	if b, ok := rp.branches[sha]; ok {
		sha = b
	}
	files, ok := rp.trees[sha]
	if !ok {
		return 404, errorBody("Not Found")
	}
	recursive := r.URL.Query().Get("recursive") != ""
	base := s.api() + "/repos/" + rp.FullName()
	dirs := map[string]bool{}
	entries := []any{}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if !recursive && strings.Contains(p, "/") {
			top := strings.SplitN(p, "/", 2)[0]
			if !dirs[top] {
				dirs[top] = true
				entries = append(entries, map[string]any{"path": top, "mode": "040000", "type": "tree", "sha": FakeSHA("tree", sha, top), "url": base + "/git/trees/" + FakeSHA("tree", sha, top)})
			}
			continue
		}
		for d := path.Dir(p); recursive && d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			entries = append(entries, map[string]any{"path": d, "mode": "040000", "type": "tree", "sha": FakeSHA("tree", sha, d), "url": base + "/git/trees/" + FakeSHA("tree", sha, d)})
		}
		blob := gitBlobSHA(files[p])
		entries = append(entries, map[string]any{"path": p, "mode": "100644", "type": "blob", "sha": blob, "size": len(files[p]), "url": base + "/git/blobs/" + blob})
	}
	return 200, map[string]any{"sha": FakeSHA("tree", sha), "url": base + "/git/trees/" + sha, "truncated": false, "tree": entries}
}

// getBlob implements GET /repos/{owner}/{repo}/git/blobs/{file_sha}: JSON
// with base64 content, or the raw bytes when asked with the raw media type.
func (s *Server) getBlob(w *responder, r *http.Request) (int, any) {
	want := r.PathValue("file_sha")
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	for _, files := range rp.trees {
		for _, content := range files {
			if gitBlobSHA(content) != want {
				continue
			}
			if strings.Contains(r.Header.Get("Accept"), "raw") {
				w.Header().Set("Content-Type", "application/vnd.github.raw; charset=utf-8")
				return 200, rawBody(content)
			}
			return 200, map[string]any{
				"sha": want, "node_id": nodeID("B_", loginID(want)), "size": len(content),
				"url": s.api() + "/repos/" + rp.FullName() + "/git/blobs/" + want, "content": base64.StdEncoding.EncodeToString([]byte(content)), "encoding": "base64",
			}
		}
	}
	return 404, errorBody("Not Found")
}

// maxJSONContent is the largest file the contents API returns in JSON;
// larger ones come with an empty content and encoding "none", and only the
// raw media type has their bytes (up to 100 MB).
const maxJSONContent = 1 << 20

// getContents implements GET /repos/{owner}/{repo}/contents/{path} for files,
// as JSON or, asked with the raw media type, as the file's bytes.
func (s *Server) getContents(w *responder, r *http.Request) (int, any) {
	p := r.PathValue("path")
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = rp.defaultBranch
	}
	sha := ref
	if b, ok := rp.branches[ref]; ok {
		sha = b
	}
	content, ok := rp.trees[sha][p]
	if _, committed := rp.trees[sha]; !committed && !ok {
		content, ok = rp.addedByPR(sha, p)
	}
	if !ok {
		return 404, errorBody("Not Found")
	}
	if strings.Contains(r.Header.Get("Accept"), "raw") {
		w.Header().Set("Content-Type", "application/vnd.github.raw; charset=utf-8")
		return 200, rawBody(content)
	}
	blob := gitBlobSHA(content)
	base := s.api() + "/repos/" + rp.FullName()
	html := fmt.Sprintf("%s/%s/blob/%s/%s", webHost, rp.FullName(), ref, p)
	encoding, encoded := "base64", base64.StdEncoding.EncodeToString([]byte(content))
	if len(content) > maxJSONContent {
		encoding, encoded = "none", ""
	}
	return 200, map[string]any{
		"type": "file", "encoding": encoding, "size": len(content), "name": path.Base(p), "path": p,
		"content": encoded, "sha": blob,
		"url": base + "/contents/" + p + "?ref=" + ref, "git_url": base + "/git/blobs/" + blob, "html_url": html,
		"download_url": fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s", rp.FullName(), ref, p),
		"_links":       map[string]any{"self": base + "/contents/" + p + "?ref=" + ref, "git": base + "/git/blobs/" + blob, "html": html},
	}
}

// addedByPR is the content of a file a pull request adds, at its head
// commit sha, when the test described the pull request by its files
// rather than committing them: a new file's patch is all of it.
func (r *Repo) addedByPR(sha, p string) (string, bool) {
	for _, pr := range r.pulls {
		if pr.headSHA != sha {
			continue
		}
		for _, f := range pr.files {
			if f.Path != p || f.Status != "added" || f.Patch == "" {
				continue
			}
			var b strings.Builder
			for _, l := range strings.Split(strings.TrimSuffix(f.Patch, "\n"), "\n") {
				if strings.HasPrefix(l, "+") {
					b.WriteString(l[1:] + "\n")
				}
			}
			return b.String(), true
		}
	}
	return "", false
}

// rawBody is a response body sent as is, not as JSON.
type rawBody string
