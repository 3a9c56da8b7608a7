package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/web/wire"
)

// decodeJSON decodes the request body, which must be one JSON object of
// Content-Type application/json, into dst. Every failure is a problem:
// 415 unsupported_media_type for another Content-Type, 400 invalid_json for
// an empty, malformed or ill-typed body, one that is not an object (null
// included), a key repeated in one object or trailing data, 400
// unknown_field naming a key that is not exactly a field of dst (keys are
// case-sensitive), 400 missing_field naming the first of required that the
// object lacks or has as null. (Bodies over the limit never get here:
// the HTTP server answers 413 body_too_large before the handler runs.)
func decodeJSON(c *fiber.Ctx, dst any, required ...string) error {
	ct := c.Get(fiber.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != fiber.MIMEApplicationJSON {
		return newProblem(codeUnsupportedMediaType, "",
			"request body must be JSON with Content-Type: application/json")
	}
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return newProblem(codeInvalidJSON, "", "request body is empty; a JSON object is required")
	}
	if body[0] != '{' { // null would decode into dst as nothing at all
		return newProblem(codeInvalidJSON, "", "request body must be a JSON object")
	}
	// encoding/json matches keys case-insensitively and lets a repeated key
	// win: only exact, single keys may reach it.
	var ke *wire.KeyError
	if err := wire.CheckKeys(body, dst, false); errors.As(err, &ke) {
		if ke.Duplicate {
			return newProblem(codeInvalidJSON, ke.Key, fmt.Sprintf("field %q appears more than once", ke.Key))
		}
		return newProblem(codeUnknownField, ke.Key, fmt.Sprintf("unknown field %q (field names are case-sensitive)", ke.Key))
	} else if err != nil {
		return jsonProblem(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return newProblem(codeInvalidJSON, "", "unexpected data after the JSON object")
	}
	return requireFields(body, required)
}

// requireFields answers 400 missing_field naming the first of fields that
// the JSON object body lacks or has as null.
func requireFields(body []byte, fields []string) error {
	if len(fields) == 0 {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return jsonProblem(err)
	}
	for _, f := range fields {
		if v, ok := top[f]; !ok || string(v) == "null" {
			return problemf(codeMissingField, f, "field %q is required", f)
		}
	}
	return nil
}

// jsonProblem turns a decoding error into the matching problem.
func jsonProblem(err error) *apiError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return newProblem(codeInvalidJSON, "", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return newProblem(codeInvalidJSON, "", "request body must be a JSON object")
		}
		return newProblem(codeInvalidJSON, typ.Field,
			fmt.Sprintf("field %q must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String())))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(codeInvalidJSON, "", "malformed JSON: unexpected end of body")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return newProblem(codeUnknownField, name, fmt.Sprintf("unknown field %q", name))
	}
	return newProblem(codeInvalidJSON, "", "malformed JSON")
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	default:
		return "number"
	}
}
