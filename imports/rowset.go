package imports

// rowSet is a set of row numbers, one bit each: a whole file's rows cost
// 1 bit a row, however many are in the set.
type rowSet []uint64

func (s *rowSet) add(row int) {
	for row/64 >= len(*s) {
		*s = append(*s, 0)
	}
	(*s)[row/64] |= 1 << (row % 64)
}

func (s rowSet) has(row int) bool {
	return row/64 < len(s) && s[row/64]&(1<<(row%64)) != 0
}
