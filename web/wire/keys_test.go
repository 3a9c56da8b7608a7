package wire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheckKeys(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
	}
	type body struct {
		Symbol  string          `json:"symbol"`
		Qty     json.RawMessage `json:"quantity"`
		Skipped string          `json:"-"`
		Inner   *inner          `json:"inner"`
		List    []inner         `json:"list"`
		Map     map[string]inner
	}
	tests := []struct {
		name, json    string
		ignoreUnknown bool
		key           string // "" means no *KeyError
		dup           bool
	}{
		{"exact", `{"symbol":"A","quantity":{"a":1},"inner":{"name":"x"},"list":[{"name":"y"}],"Map":{"k":{"name":"z"}}}`, false, "", false},
		{"upper-case key", `{"symbol":"MSFT","SYMBOL":"AAPL"}`, false, "SYMBOL", false},
		{"long s", `{"ſymbol":"AAPL"}`, false, "ſymbol", false},
		{"duplicate", `{"symbol":"MSFT","symbol":"AAPL"}`, false, "symbol", true},
		{"unknown", `{"price":1}`, false, "price", false},
		{"tag minus", `{"Skipped":"x"}`, false, "Skipped", false},
		{"go name of a tagged field", `{"Symbol":"x"}`, false, "Symbol", false},
		{"nested struct case", `{"inner":{"NAME":"x"}}`, false, "NAME", false},
		{"nested duplicate", `{"inner":{"name":"x","name":"y"}}`, false, "name", true},
		{"slice element", `{"list":[{"name":"x"},{"Name":"y"}]}`, false, "Name", false},
		{"map value", `{"Map":{"k":{"nAme":"z"}}}`, false, "nAme", false},
		{"map keys are free", `{"Map":{"K":{},"k":{}}}`, false, "", false},
		{"duplicate map key", `{"Map":{"k":{},"k":{}}}`, false, "k", true},
		{"duplicate inside raw", `{"quantity":{"a":1,"a":2}}`, false, "a", true},
		{"ignored unknown", `{"symbol":"x","extra":{"y":1}}`, true, "", false},
		{"ignored but folds to a field", `{"SYMBOL":"x"}`, true, "SYMBOL", false},
		{"ignored but long s folds to a field", `{"ſymbol":"x"}`, true, "ſymbol", false},
		{"not an object", `[1,2]`, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			err := CheckKeys([]byte(tt.json), &b, tt.ignoreUnknown)
			var ke *KeyError
			if tt.key == "" {
				if err != nil {
					t.Fatalf("CheckKeys = %v, want nil", err)
				}
				return
			}
			if !errors.As(err, &ke) || ke.Key != tt.key || ke.Duplicate != tt.dup {
				t.Fatalf("CheckKeys = %v, want key %q (duplicate %v)", err, tt.key, tt.dup)
			}
		})
	}
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if err := CheckKeys([]byte(deep), new(any), false); err != nil {
		t.Fatalf("%d levels: %v", MaxDepth, err)
	}
	deep = `{"list":` + strings.Repeat("[", 60_000)
	if err := CheckKeys([]byte(deep), &body{}, false); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("60,000 levels: %v, want ErrTooDeep", err)
	}
	var syn *json.SyntaxError
	if err := CheckKeys([]byte(`{"symbol":}`), &body{}, false); !errors.As(err, &syn) {
		t.Fatalf("malformed: %v, want a *json.SyntaxError", err)
	}
}
