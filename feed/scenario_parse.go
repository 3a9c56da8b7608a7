package feed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// LoadScenario reads a scenario file (YAML or JSON), parses it and checks
// it against the universe syms. Errors name the file, the line and the
// field.
func LoadScenario(path string, syms []Symbol) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	sc, err := ParseScenario(path, data)
	if err != nil {
		return nil, err
	}
	if err := sc.Check(syms); err != nil {
		return nil, err
	}
	return sc, nil
}

// ParseScenario parses a scenario document, YAML or JSON (JSON is YAML), and
// validates each event on its own (ScenarioEvent.Validate); Check validates
// the symbols and sectors against a universe. file names the document in
// errors, which also give the line and the field. A document without a
// name is named after its file.
func ParseScenario(file string, data []byte) (*Scenario, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, scenarioErrorf(file, 0, "bad YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	p := scenarioParser{file: file}
	if len(doc.Content) == 0 {
		return nil, p.errorf(nil, "empty document")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, p.errorf(root, "want a mapping with name, description and events")
	}
	sc := &Scenario{File: file}
	var events *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		var err error
		switch key.Value {
		case "name":
			sc.Name, err = p.str(val, "name")
		case "description":
			sc.Description, err = p.str(val, "description")
		case "events":
			events = val
		default:
			err = p.errorf(key, "%s: unknown field (want name, description or events)", key.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	if events == nil {
		return nil, p.errorf(root, "events: missing")
	}
	if events.Kind != yaml.SequenceNode {
		return nil, p.errorf(events, "events: want a list of events")
	}
	if len(events.Content) > MaxScenarioEvents {
		return nil, p.errorf(events, "events: more than %d events", MaxScenarioEvents)
	}
	for i, n := range events.Content {
		e, err := p.event(n, i)
		if err != nil {
			return nil, err
		}
		sc.Events = append(sc.Events, e)
	}
	return sc, nil
}

// scenarioParser turns YAML nodes into scenario values with errors that
// name the file and the line.
type scenarioParser struct{ file string }

func (p scenarioParser) errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return scenarioErrorf(p.file, line, format, args...)
}

func (p scenarioParser) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", p.errorf(n, "%s: want a string", field)
	}
	return n.Value, nil
}

// event parses the i-th event and validates it on its own.
func (p scenarioParser) event(n *yaml.Node, i int) (ScenarioEvent, error) {
	e := ScenarioEvent{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return e, p.errorf(n, "events[%d]: want a mapping with at, type and the event's fields", i)
	}
	lines := map[string]int{}
	var hasAt, hasType bool
	for k := 0; k+1 < len(n.Content); k += 2 {
		key, val := n.Content[k], n.Content[k+1]
		field := fmt.Sprintf("events[%d].%s", i, key.Value)
		if val.Kind != yaml.ScalarNode {
			return e, p.errorf(val, "%s: want a single value", field)
		}
		lines[key.Value] = val.Line
		v := strings.TrimSpace(val.Value)
		var err error
		switch key.Value {
		case "at":
			hasAt = true
			e.At, e.Clock, err = parseEventTime(v)
		case "type":
			hasType = true
			e.Type = EventType(v)
		case "symbol":
			e.Symbol = strings.ToUpper(v)
		case "sector":
			e.Sector = v
		case "duration":
			e.Duration, err = time.ParseDuration(v)
		case "percent":
			e.Percent, err = parseNumber(v)
		case "factor":
			e.Factor, err = parseNumber(v)
		default:
			err = fmt.Errorf("unknown field (want at, type, symbol, sector, duration, percent or factor)")
		}
		if err != nil {
			return e, p.errorf(val, "%s: %v", field, err)
		}
	}
	switch {
	case !hasType:
		return e, p.errorf(n, "events[%d].type: missing", i)
	case !hasAt:
		return e, p.errorf(n, "events[%d].at: missing", i)
	}
	e.fieldLines = lines
	if err := e.Validate(); err != nil {
		field, _, _ := strings.Cut(err.Error(), ":")
		return e, scenarioErrorf(p.file, e.fieldLine(field), "events[%d].%v", i, err)
	}
	return e, nil
}

// parseEventTime reads an offset from the start ("90s", "1h30m", "+5m") or
// a time of day ("14:30", "14:30:15"), returned as the offset from
// midnight with clock true.
func parseEventTime(v string) (at time.Duration, clock bool, err error) {
	if strings.Contains(v, ":") {
		layout := "15:04"
		if strings.Count(v, ":") == 2 {
			layout = "15:04:05"
		}
		t, err := time.Parse(layout, v)
		if err != nil {
			return 0, false, fmt.Errorf("want an offset such as 90s or 1h30m, or a time of day such as 14:30, got %q", v)
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
			time.Duration(t.Second())*time.Second, true, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, false, fmt.Errorf("want an offset such as 90s or 1h30m, or a time of day such as 14:30, got %q", v)
	}
	return d, false, nil
}

func parseNumber(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("want a number, got %q", v)
	}
	return f, nil
}
