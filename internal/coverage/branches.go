package coverage

import "math/bits"

// Branches is a line's branch coverage: of the ways execution can leave
// the line (the two arms of an if, the cases of a switch, the short cut of
// an &&), how many there are and how many were taken at least once.
//
// Formats differ in what they say. LCOV, Istanbul, coverage.py and
// OpenClover's Clover tell a line's branches apart, so two measurements of
// the line (the unit and the integration flag) combine exactly: a branch
// one took and the other did not is taken. Cobertura, JaCoCo and
// Istanbul's Clover give only counts, so a combination keeps the larger
// count of taken branches, which may understate what the runs took
// together but never overstates it.
type Branches struct {
	Total int32 // branches on the line, at least 1
	Taken int32 // of them, taken at least once
	// Which are the taken branches, bit i for the line's i-th, when Named:
	// the report tells the line's branches apart and it has at most 64.
	Which uint64
	Named bool
}

// maxBranches bounds the branches kept for one line, so that counts stay
// small numbers whatever a report claims. No line of source has a million
// ways out.
const maxBranches = 1 << 20

// counted is branch coverage known only by its counts. total must be at
// least 1 and taken at most total.
func counted(total, taken int) Branches {
	total = min(total, maxBranches)
	return Branches{Total: int32(total), Taken: int32(min(taken, total))}
}

// add appends the line's next branch, named by its position. Past 64
// branches the line keeps counts only.
func (b *Branches) add(taken bool) {
	if b.Total >= maxBranches {
		return
	}
	i := b.Total
	if i == 0 {
		b.Named = true
	}
	b.Total++
	if taken {
		b.Taken++
	}
	switch {
	case !b.Named:
	case i >= 64:
		b.Named, b.Which = false, 0
	case taken:
		b.Which |= 1 << uint(i)
	}
}

// combine is two measurements of one line's branches.
func (b Branches) combine(o Branches) Branches {
	switch {
	case o.Total == 0:
		return b
	case b.Total == 0:
		return o
	case b.Named && o.Named && b.Total == o.Total:
		w := b.Which | o.Which
		return Branches{Total: b.Total, Taken: int32(bits.OnesCount64(w)), Which: w, Named: true}
	}
	total := max(b.Total, o.Total)
	return Branches{Total: total, Taken: min(max(b.Taken, o.Taken), total)}
}

// Missed is how many of the line's branches were never taken.
func (b Branches) Missed() int { return int(b.Total - b.Taken) }
