package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// fmtInt writes n with thousands separators: 200000 → "200,000".
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var sb strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	if neg {
		return "-" + sb.String()
	}
	return sb.String()
}

// fmtMs writes a latency in milliseconds with precision to match its size.
func fmtMs(ms float64) string {
	switch {
	case math.IsNaN(ms):
		return "—"
	case ms < 10:
		return fmtF(ms, 2)
	case ms < 100:
		return fmtF(ms, 1)
	}
	return fmtInt(int64(math.Round(ms)))
}

// fmtF writes f with d decimals.
func fmtF(f float64, d int) string { return strconv.FormatFloat(f, 'f', d, 64) }

// table writes a Markdown table.
func table(sb *strings.Builder, head []string, rows [][]string) {
	line := func(cells []string) {
		sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	line(head)
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	sb.WriteString("\n")
}

// codeBlock writes lines as a fenced block.
func codeBlock(sb *strings.Builder, lang string, lines ...string) {
	fmt.Fprintf(sb, "```%s\n%s\n```\n\n", lang, strings.TrimRight(strings.Join(lines, "\n"), "\n"))
}
