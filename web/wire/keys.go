package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// KeyError is a key of a JSON object that encoding/json would not match
// exactly: a key repeated in one object (where the last one would silently
// win), or a key that names no field of the struct it is decoded into
// exactly (where json would match it case-insensitively, even by Unicode
// folding: "SYMBOL" and "ſymbol" both fill Symbol).
type KeyError struct {
	Key       string
	Duplicate bool
}

func (e *KeyError) Error() string {
	if e.Duplicate {
		return "duplicate key " + strconv.Quote(e.Key)
	}
	return "unknown key " + strconv.Quote(e.Key)
}

// CheckKeys reads the first JSON value of data with the Go type of v in
// mind and returns a *KeyError for the first key json.Unmarshal into v would
// not match exactly, at any depth: a duplicate key in any object, and in an
// object decoded into a struct a key that is not exactly one of its field
// names. With ignoreUnknown, keys the struct does not know are allowed (they
// are ignored by json too) unless they differ from a field name only by case
// or folding. Malformed JSON returns the decoder's error, and input nested
// deeper than MaxDepth ErrTooDeep; trailing data is not looked at. A nil error means json.Unmarshal fills exactly the fields
// the keys name.
func CheckKeys(data []byte, v any, ignoreUnknown bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	return checkValue(dec, reflect.TypeOf(v), ignoreUnknown, 0)
}

// MaxDepth is how deeply CheckKeys lets arrays and objects nest; deeper
// input is refused with ErrTooDeep rather than recursed into.
const MaxDepth = 64

// ErrTooDeep is CheckKeys' error for input nested deeper than MaxDepth.
var ErrTooDeep = errors.New("json: nested too deeply")

// checkValue reads one value from dec at nesting depth; t is its Go type,
// nil if unknown (any, json.RawMessage, or under an ignored key).
func checkValue(dec *json.Decoder, t reflect.Type, ignoreUnknown bool, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth++; depth > MaxDepth {
		return ErrTooDeep
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var elem reflect.Type
	var fields map[string]reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map:
			elem = t.Elem()
		case reflect.Struct:
			fields = structFields(t)
		}
	}
	if d == '[' {
		for dec.More() {
			if err := checkValue(dec, elem, ignoreUnknown, depth); err != nil {
				return err
			}
		}
	} else {
		seen := make(map[string]struct{})
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if _, dup := seen[key]; dup {
				return &KeyError{Key: key, Duplicate: true}
			}
			seen[key] = struct{}{}
			vt := elem
			if fields != nil {
				ft, known := fields[key]
				if !known && (!ignoreUnknown || foldsToField(fields, key)) {
					return &KeyError{Key: key}
				}
				vt = ft
			}
			if err := checkValue(dec, vt, ignoreUnknown, depth); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// foldsToField reports whether key equals a field name under Unicode case
// folding, the way encoding/json would match it.
func foldsToField(fields map[string]reflect.Type, key string) bool {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return true
		}
	}
	return false
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// structFields returns the JSON names of t's fields (as encoding/json
// names them: the tag's name, else the Go name; embedded structs without a
// tag flattened) with their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	fields := make(map[string]reflect.Type)
	addFields(fields, t)
	fieldCache.Store(t, fields)
	return fields
}

func addFields(fields map[string]reflect.Type, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(fields, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = ft
	}
}
