package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseWrk reads wrk --latency output: requests, Requests/sec, the latency
// distribution and any non-2xx or socket errors.
func parseWrk(text string, rs *REST) error {
	var haveRate bool
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "Requests/sec:") && len(f) == 2:
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return fmt.Errorf("wrk: bad %q", line)
			}
			rs.ReqPerS, haveRate = v, true
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			rs.Requests, _ = strconv.ParseInt(f[0], 10, 64)
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:") && len(f) == 5:
			rs.Non2xx, _ = strconv.ParseInt(f[4], 10, 64)
		case strings.HasPrefix(line, "Socket errors:"):
			rs.SockErrors = strings.TrimSpace(strings.TrimPrefix(line, "Socket errors:"))
		case len(f) == 2 && (f[0] == "50%" || f[0] == "90%" || f[0] == "99%"):
			ms, err := wrkDuration(f[1])
			if err != nil {
				return err
			}
			switch f[0] {
			case "50%":
				rs.P50Ms = ms
			case "90%":
				rs.P90Ms = ms
			default:
				rs.P99Ms = ms
			}
		}
	}
	if !haveRate || rs.P99Ms == 0 {
		return fmt.Errorf("wrk: no Requests/sec or latency distribution in its output")
	}
	return nil
}

// wrkDuration turns wrk's "1.23ms", "850.00us" or "1.02s" into milliseconds.
func wrkDuration(s string) (float64, error) {
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}
	for _, u := range []string{"us", "ms", "s", "m"} {
		if v, ok := strings.CutSuffix(s, u); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				break
			}
			return n * float64(unit[u]) / float64(time.Millisecond), nil
		}
	}
	return 0, fmt.Errorf("wrk: bad duration %q", s)
}
