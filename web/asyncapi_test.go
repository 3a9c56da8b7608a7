package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/oasdiff/yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The stream contract: web/asyncapi.yaml describes every message of the
// WebSocket and SSE streams. Every frame a test in this package receives
// (readFrame, openSSE) and every well-formed client message it sends (send)
// is validated against it as it passes; a message the document does not
// describe is a violation. TestMain fails the package on any violation and,
// when the whole package ran, on a message type of the document that no
// test saw.

// streamContract is the compiled document: the payload schema of each
// message type, by direction.
type streamContract struct {
	server, client map[string]*jsonschema.Schema
	doc            map[string]any
}

var loadContract = sync.OnceValues(func() (*streamContract, error) {
	js, err := yaml.YAMLToJSON(AsyncAPI())
	if err != nil {
		return nil, fmt.Errorf("asyncapi.yaml: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, fmt.Errorf("asyncapi.yaml: %w", err)
	}
	c := jsonschema.NewCompiler()
	const url = "asyncapi.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	sc := &streamContract{server: map[string]*jsonschema.Schema{}, client: map[string]*jsonschema.Schema{}, doc: doc.(map[string]any)}
	ops, _ := sc.doc["operations"].(map[string]any)
	for name, op := range ops {
		op := op.(map[string]any)
		into := sc.server
		if op["action"] == "receive" { // the server receives: client messages
			into = sc.client
		}
		for _, m := range op["messages"].([]any) {
			msg := sc.resolve(m.(map[string]any))
			ref, _ := msg["payload"].(map[string]any)["$ref"].(string)
			payload := sc.resolve(msg["payload"].(map[string]any))
			typ := payload["properties"].(map[string]any)["type"].(map[string]any)["const"].(string)
			sch, err := c.Compile(url + ref)
			if err != nil {
				return nil, fmt.Errorf("operation %s, message %s: %w", name, typ, err)
			}
			into[typ] = sch
		}
	}
	return sc, nil
})

// resolve follows $ref (a JSON pointer into the document) until it reaches
// a node without one.
func (sc *streamContract) resolve(node map[string]any) map[string]any {
	for {
		r, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		var cur any = sc.doc
		for _, part := range strings.Split(strings.TrimPrefix(r, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		node = cur.(map[string]any)
	}
}

// contractLog is what the package's tests saw.
var contractLog struct {
	mu         sync.Mutex
	seen       map[string]bool // "server:quotes", "client:subscribe"
	violations []string
}

// checkServerMessage validates a frame or event a test received.
func checkServerMessage(raw []byte) { checkMessage("server", raw) }

// checkClientMessage validates a message a test sends as well-formed.
func checkClientMessage(raw []byte) { checkMessage("client", raw) }

func checkMessage(dir string, raw []byte) {
	sc, err := loadContract()
	violation := ""
	typ := ""
	switch {
	case err != nil:
		violation = err.Error()
	default:
		var head struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(raw, &head)
		typ = head.Type
		schemas := sc.server
		if dir == "client" {
			schemas = sc.client
		}
		sch, ok := schemas[typ]
		if !ok {
			violation = fmt.Sprintf("%s message of undocumented type %q: %s", dir, typ, raw)
			break
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err == nil {
			err = sch.Validate(inst)
		}
		if err != nil {
			violation = fmt.Sprintf("%s message %s does not match asyncapi.yaml: %v", dir, raw, err)
		}
	}
	contractLog.mu.Lock()
	defer contractLog.mu.Unlock()
	if violation != "" {
		contractLog.violations = append(contractLog.violations, violation)
		return
	}
	if contractLog.seen == nil {
		contractLog.seen = map[string]bool{}
	}
	contractLog.seen[dir+":"+typ] = true
}

// contractReport is TestMain's verdict: every violation, and, after a run
// of the whole package, the documented message types no test saw.
func contractReport(wholeRun bool) error {
	sc, err := loadContract()
	if err != nil {
		return err
	}
	contractLog.mu.Lock()
	defer contractLog.mu.Unlock()
	problems := slices.Clone(contractLog.violations)
	if wholeRun {
		for dir, schemas := range map[string]map[string]*jsonschema.Schema{"server": sc.server, "client": sc.client} {
			for typ := range schemas {
				if !contractLog.seen[dir+":"+typ] {
					problems = append(problems, fmt.Sprintf("no test saw the %s message %q of asyncapi.yaml", dir, typ))
				}
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	if len(problems) > 20 {
		problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
	}
	return fmt.Errorf("stream contract (web/asyncapi.yaml):\n  %s", strings.Join(problems, "\n  "))
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 {
		if err := contractReport(flag.Lookup("test.run").Value.String() == "" && !testing.Short()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestAsyncAPIMatchesProtocol: docs/PROTOCOL.md and web/asyncapi.yaml name
// the same message types, error codes and close codes.
func TestAsyncAPIMatchesProtocol(t *testing.T) {
	sc, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile("../docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(guide)

	var docTypes []string
	for _, schemas := range []map[string]*jsonschema.Schema{sc.server, sc.client} {
		for typ := range schemas {
			docTypes = append(docTypes, typ)
		}
	}
	var guideTypes []string
	for _, m := range regexp.MustCompile("(?m)^### `([a-z_]+)`|\\{\"type\":\"([a-z_]+)\"").FindAllStringSubmatch(text, -1) {
		guideTypes = append(guideTypes, m[1]+m[2])
	}
	sameSet(t, "message types", docTypes, guideTypes)

	schemas := sc.doc["components"].(map[string]any)["schemas"].(map[string]any)
	enum := func(name string) []string {
		var out []string
		for _, v := range schemas[name].(map[string]any)["enum"].([]any) {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	section := func(from, to string) string {
		i, j := strings.Index(text, from), strings.Index(text, to)
		if i < 0 || j < i {
			t.Fatalf("docs/PROTOCOL.md lacks the section between %q and %q", from, to)
		}
		return text[i:j]
	}
	var guideCodes []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(section("### `error`", "## 4."), -1) {
		if m[1] != "code" { // the table's header
			guideCodes = append(guideCodes, m[1])
		}
	}
	sameSet(t, "error codes", enum("ErrorCode"), guideCodes)

	var guideCloses []string
	for _, m := range regexp.MustCompile(`(?m)^\| (\d{4}) \|`).FindAllStringSubmatch(section("## 4.", "## 5."), -1) {
		if _, err := strconv.Atoi(m[1]); err == nil {
			guideCloses = append(guideCloses, m[1])
		}
	}
	sameSet(t, "close codes", enum("CloseCode"), guideCloses)
}

// sameSet fails unless a and b hold the same strings.
func sameSet(t *testing.T, what string, doc, guide []string) {
	t.Helper()
	set := func(list []string) []string {
		s := slices.Clone(list)
		slices.Sort(s)
		return slices.Compact(s)
	}
	d, g := set(doc), set(guide)
	if !slices.Equal(d, g) {
		t.Errorf("%s differ:\n  web/asyncapi.yaml: %v\n  docs/PROTOCOL.md:  %v", what, d, g)
	}
}

// TestAsyncAPIRejects: the contract is not vacuous; frames that break it
// are caught.
func TestAsyncAPIRejects(t *testing.T) {
	sc, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, msg string }{
		{"server", `{"type":"quotes","data":[{"symbol":"AAPL","price":1.234,"change":0,"change_pct":0,"open":1,"high":1,"low":1,"prev_close":1,"volume":1,"ts":1,"seq":1}]}`},
		{"server", `{"type":"quotes","data":[]}`},
		{"server", `{"type":"error","code":"no_such_code","message":"x"}`},
		{"server", `{"type":"welcome","user":"a","heartbeat_s":20}`},
		{"server", `{"type":"pong","id":1,"extra":true}`},
		{"client", `{"type":"subscribe","max_rate_ms":500}`},
		{"client", `{"type":"subscribe","symbols":["AAPL"],"max_rate_ms":-1}`},
	} {
		schemas := sc.server
		if tc.dir == "client" {
			schemas = sc.client
		}
		var head struct{ Type string }
		_ = json.Unmarshal([]byte(tc.msg), &head)
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(tc.msg))
		if err := schemas[head.Type].Validate(inst); err == nil {
			t.Errorf("%s message %s passed the contract", tc.dir, tc.msg)
		}
	}
}
