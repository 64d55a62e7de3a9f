package fakegithub

import (
	"net/http"
	"strconv"
)

// maxListedFiles is GitHub's cap on the list-files API.
const maxListedFiles = 3000

func (s *Server) pull(r *http.Request) (*PR, int, any) {
	n, err := strconv.Atoi(r.PathValue("pull_number"))
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(r.PathValue("owner"), r.PathValue("repo"))
	if err != nil || rp == nil || rp.pulls[n] == nil {
		return nil, 404, errorBody("Not Found")
	}
	return rp.pulls[n], 0, nil
}

func (s *Server) getPull(w *responder, r *http.Request) (int, any) {
	p, status, body := s.pull(r)
	if p == nil {
		return status, body
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return 200, s.prJSON(p)
}

// listPage serves one page of a pull request's list of n items.
func (s *Server) listPage(w *responder, r *http.Request, n func(*PR) int, item func(*PR, int) any) (int, any) {
	p, status, body := s.pull(r)
	if p == nil {
		return status, body
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listPageOf(w, r, n(p), func(i int) any { return item(p, i) })
}

// listPageOf serves one page of a list of n items.
func (s *Server) listPageOf(w *responder, r *http.Request, n int, item func(int) any) (int, any) {
	from, to, status, body := pagination(w, r, n)
	if status != 0 {
		return status, body
	}
	out := []any{}
	for i := from; i < to; i++ {
		out = append(out, item(i))
	}
	return 200, out
}

func (s *Server) listFiles(w *responder, r *http.Request) (int, any) {
	return s.listPage(w, r,
		func(p *PR) int { return min(len(p.files), maxListedFiles) },
		func(p *PR, i int) any { return s.fileJSON(p, p.files[i]) })
}

func (s *Server) listReviews(w *responder, r *http.Request) (int, any) {
	return s.listPage(w, r,
		func(p *PR) int { return len(p.reviews) },
		func(p *PR, i int) any { return s.reviewJSON(p, p.reviews[i]) })
}

func (s *Server) listCommits(w *responder, r *http.Request) (int, any) {
	return s.listPage(w, r,
		func(p *PR) int { return len(p.commits) },
		func(p *PR, i int) any {
			parent := p.baseSHA
			if i > 0 {
				parent = p.commits[i-1].sha
			}
			return s.commitJSON(p, p.commits[i], parent)
		})
}
