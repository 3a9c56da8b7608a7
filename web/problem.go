package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/stream"
)

// Problem codes of the HTTP layer. Together with the portfolio.Code*
// constants and the stream codes below they are the stable "code" values of
// problem responses; codeStatus gives each its one HTTP status.
const (
	codeInvalidJSON          = "invalid_json"           // 400: malformed body, wrong types, trailing data
	codeUnknownField         = "unknown_field"          // 400: body has a field the endpoint does not know
	codeMissingField         = "missing_field"          // 400: body lacks a required field (or has it as null)
	codeInvalidParameter     = "invalid_parameter"      // 400: bad query or path parameter
	codeBadRequest           = "bad_request"            // 400: request the HTTP parser refused
	codeOriginForbidden      = "origin_forbidden"       // 403: cookie-authenticated write from a foreign origin
	codeNotFound             = portfolio.CodeNotFound   // 404
	codeMethodNotAllowed     = "method_not_allowed"     // 405
	codeRequestTimeout       = "request_timeout"        // 408
	codeBodyTooLarge         = "body_too_large"         // 413
	codeUnsupportedMediaType = "unsupported_media_type" // 415: body is not application/json
	codeRateLimited          = "rate_limited"           // 429
	codeInternal             = portfolio.CodeInternal   // 500
	codeNotReady             = "not_ready"              // 503
	codeUpgradeRequired      = "upgrade_required"       // 426: GET /api/v1/ws without a WebSocket handshake
	codeTooManySymbols       = stream.CodeTooManySymbols
	codeTooManyConnections   = stream.CodeTooManyConnections // 429: a per-IP or per-account connection cap
	codeServerBusy           = "server_busy"                 // 503: the server holds Config.MaxConns connections
	codeStorageUnavailable   = "storage_unavailable"         // 503: the database cannot take writes (disk full, read-only, deleted)
	codeMarketHalted         = "market_halted"               // 422: a trade in a symbol a scenario has halted
)

// codeStatus is the one table from problem codes to HTTP status.
var codeStatus = map[string]int{
	portfolio.CodeInvalidUsername:    http.StatusUnprocessableEntity,
	portfolio.CodeInvalidPassword:    http.StatusUnprocessableEntity,
	portfolio.CodeUsernameTaken:      http.StatusConflict,
	portfolio.CodeInvalidCredentials: http.StatusUnauthorized,
	portfolio.CodeUnauthorized:       http.StatusUnauthorized,
	portfolio.CodeUnknownSymbol:      http.StatusUnprocessableEntity,
	portfolio.CodeInvalidQuantity:    http.StatusUnprocessableEntity,
	portfolio.CodeInvalidSide:        http.StatusUnprocessableEntity,
	portfolio.CodeInsufficientCash:   http.StatusUnprocessableEntity,
	portfolio.CodeInsufficientShares: http.StatusUnprocessableEntity,
	portfolio.CodeInvalidCursor:      http.StatusBadRequest,
	portfolio.CodeInvalidWatchlist:   http.StatusUnprocessableEntity,
	portfolio.CodeInvalidCondition:   http.StatusUnprocessableEntity,
	portfolio.CodeInvalidPrice:       http.StatusUnprocessableEntity,
	portfolio.CodeInvalidPercent:     http.StatusUnprocessableEntity,
	portfolio.CodeTooManyAlerts:      http.StatusUnprocessableEntity,
	portfolio.CodeAlreadyTriggered:   http.StatusUnprocessableEntity,
	portfolio.CodeNotFound:           http.StatusNotFound,
	portfolio.CodeInternal:           http.StatusInternalServerError,

	codeInvalidJSON:          http.StatusBadRequest,
	codeUnknownField:         http.StatusBadRequest,
	codeMissingField:         http.StatusBadRequest,
	codeInvalidParameter:     http.StatusBadRequest,
	codeBadRequest:           http.StatusBadRequest,
	codeOriginForbidden:      http.StatusForbidden,
	codeMethodNotAllowed:     http.StatusMethodNotAllowed,
	codeRequestTimeout:       http.StatusRequestTimeout,
	codeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	codeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	codeRateLimited:          http.StatusTooManyRequests,
	codeNotReady:             http.StatusServiceUnavailable,
	codeUpgradeRequired:      http.StatusUpgradeRequired,
	codeTooManySymbols:       http.StatusUnprocessableEntity,
	codeTooManyConnections:   http.StatusTooManyRequests,
	codeServerBusy:           http.StatusServiceUnavailable,
	codeStorageUnavailable:   http.StatusServiceUnavailable,
	codeMarketHalted:         http.StatusUnprocessableEntity,
}

// statusOf returns the HTTP status of a problem code; unknown codes are 500.
func statusOf(code string) int {
	if st, ok := codeStatus[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// problemTypePrefix prefixes the code to form the problem's "type" URI.
const problemTypePrefix = "urn:tickerd:problem:"

// problem is an RFC 9457 problem details object with tickerd's extensions.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// writeProblem answers with an application/problem+json body whose status
// is code's (codeStatus).
func writeProblem(c *fiber.Ctx, code, detail string) error {
	return writeFieldProblem(c, code, "", detail)
}

// writeFieldProblem is writeProblem about one request field (e.g. "password").
func writeFieldProblem(c *fiber.Ctx, code, field, detail string) error {
	status := statusOf(code)
	body, err := json.Marshal(problem{
		Type:      problemTypePrefix + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Code:      code,
		Field:     field,
		RequestID: requestID(c),
	})
	if err != nil {
		return err
	}
	if status == http.StatusUnauthorized && len(c.Response().Header.Peek(fiber.HeaderWWWAuthenticate)) == 0 {
		setAuthenticate(c, code)
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Send(body)
}

// apiError is an error a handler returns to have it answered as a problem.
// It is the one way the HTTP layer refuses a request (newProblem); the
// store's *portfolio.Error is answered the same way.
type apiError struct {
	code   string
	field  string
	detail string
}

func (e *apiError) Error() string { return e.code + ": " + e.detail }

// newProblem returns an error answered as a problem with code's status,
// about field when it is not "".
func newProblem(code, field, detail string) *apiError {
	return &apiError{code: code, field: field, detail: detail}
}

// problemf is newProblem with a formatted detail.
func problemf(code, field, format string, args ...any) *apiError {
	return newProblem(code, field, fmt.Sprintf(format, args...))
}

// writeError answers err as a problem: an *apiError or a *portfolio.Error
// as itself, a write the database cannot take (portfolio.StorageUnavailable)
// as 503 storage_unavailable, anything else as a generic 500 (all logged,
// never shown).
func (s *Server) writeError(c *fiber.Ctx, err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return writeFieldProblem(c, ae.code, ae.field, ae.detail)
	}
	var pe *portfolio.Error
	if errors.As(err, &pe) && pe.Code != portfolio.CodeInternal {
		return writeFieldProblem(c, pe.Code, pe.Field, pe.Message)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return s.writeFiberError(c, fe)
	}
	if portfolio.StorageUnavailable(err) {
		s.log.ErrorContext(c.UserContext(), "database cannot be written",
			"request_id", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		c.Set(fiber.HeaderRetryAfter, "5")
		return writeProblem(c, codeStorageUnavailable, "the database cannot take writes now; try again later")
	}
	s.log.ErrorContext(c.UserContext(), "request failed",
		"request_id", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
	return writeProblem(c, codeInternal, "internal server error")
}

// writeFiberError maps the errors Fiber and fasthttp raise themselves.
func (s *Server) writeFiberError(c *fiber.Ctx, fe *fiber.Error) error {
	switch fe.Code {
	case http.StatusNotFound:
		return writeProblem(c, codeNotFound, "no such resource: "+c.Method()+" "+c.Path())
	case http.StatusMethodNotAllowed:
		allow := string(c.Response().Header.Peek(fiber.HeaderAllow))
		return writeProblem(c, codeMethodNotAllowed,
			"method "+c.Method()+" is not allowed here; allowed: "+allow)
	case http.StatusRequestEntityTooLarge:
		c.Set(fiber.HeaderConnection, "close")
		return writeProblem(c, codeBodyTooLarge, "request body is larger than the server accepts")
	case http.StatusRequestTimeout:
		return writeProblem(c, codeRequestTimeout, "request was not received in time")
	}
	if fe.Code >= 400 && fe.Code < 500 {
		return writeProblem(c, codeBadRequest, "malformed request")
	}
	s.log.ErrorContext(c.UserContext(), "request failed",
		"request_id", requestID(c), "method", c.Method(), "path", c.Path(), "err", fe)
	return writeProblem(c, codeInternal, "internal server error")
}

// handleError is Fiber's ErrorHandler: every error that reaches it, from a
// handler, the router or the HTTP parser, leaves as a problem.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if requestID(c) == "" && errors.As(err, &fe) && fe.Code == http.StatusBadGateway {
		// Fiber's name for a network error while fasthttp read a request:
		// the client reset or dropped its connection (often an idle one).
		// Nobody is left to answer and nothing failed here.
		s.log.DebugContext(c.UserContext(), "connection closed by the client while reading a request",
			"remote", c.Context().RemoteAddr().String())
		return nil
	}
	if requestID(c) == "" {
		// Raised by fasthttp before the middleware ran (e.g. body too
		// large): give it an id and log it here, since the request log
		// never saw it.
		id := newRequestID()
		c.Locals(localRequestID, id)
		c.Set(headerRequestID, id)
		defer func() {
			s.log.InfoContext(c.UserContext(), "request rejected", "request_id", id,
				"method", c.Method(), "path", c.Path(), "status", c.Response().StatusCode(), "err", err.Error())
		}()
	}
	return s.writeError(c, err)
}
