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

// fmtRatio writes a ratio with two significant figures: 0.958 → "0.96×",
// 1.04 → "1.0×", 11.7 → "12×", so a ratio just below 1 never reads as 1.
func fmtRatio(r float64) string {
	if r <= 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return fmtF(r, 1) + "×"
	}
	exp := int(math.Floor(math.Log10(r)))
	unit := math.Pow(10, float64(exp-1))
	r = math.Round(r/unit) * unit
	exp = int(math.Floor(math.Log10(r))) // 9.96 rounds to 10
	return fmtF(r, max(0, 1-exp)) + "×"
}

// cheaperSide names the cheaper side of a poll ÷ push cost ratio.
func cheaperSide(r float64) string {
	switch {
	case r > 1:
		return "push cheaper"
	case r < 1:
		return "poll cheaper"
	}
	return "same cost"
}

// ratioCell writes a poll ÷ push cost ratio for a table: "0.96× (poll
// cheaper)", or "—" when it is 0 (a side too small to measure: /proc counts
// CPU in 10 ms steps).
func ratioCell(r float64) string {
	if r == 0 {
		return "—"
	}
	return fmtRatio(r) + " (" + cheaperSide(r) + ")"
}
