package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tickerd/tickerd/portfolio"
	"github.com/tickerd/tickerd/web/wire"
)

// sessionCookie is the name of the HttpOnly cookie login sets.
const sessionCookie = "tickerd_session"

// errNoCredentials means the request carried neither a Bearer token nor a
// session cookie.
var errNoCredentials = errors.New("no credentials")

// credentials returns the request's session token: the Authorization
// Bearer token first, then the session cookie. viaCookie tells which.
func credentials(c *fiber.Ctx) (token string, viaCookie bool, err error) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return "", false, newProblem(portfolio.CodeUnauthorized, "",
				"Authorization header must be \"Bearer <token>\"")
		}
		return tok, false, nil
	}
	if tok := c.Cookies(sessionCookie); tok != "" {
		return tok, true, nil
	}
	return "", false, errNoCredentials
}

// authenticate returns the live session of the request: Bearer header
// first, then cookie. It returns errNoCredentials when neither is present
// and the store's unauthorized *portfolio.Error when the token is invalid,
// expired or revoked.
func (s *Server) authenticate(c *fiber.Ctx) (portfolio.Session, error) {
	tok, _, err := credentials(c)
	if err != nil {
		return portfolio.Session{}, err
	}
	return s.sessions.Authenticate(c.UserContext(), tok)
}

// originAllowed reports whether the request's Origin may act on this
// server: true when Origin is absent, equals the server's own origin
// (scheme and Host of the request) or is listed in Config.AllowedOrigins.
func (s *Server) originAllowed(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	return origin == "" || s.trustedOrigin(c, origin)
}

// trustedOrigin reports whether origin (scheme://host[:port]) is the
// server's own or an allowed one. "null" and malformed origins are not.
func (s *Server) trustedOrigin(c *fiber.Ctx, origin string) bool {
	if strings.EqualFold(origin, c.Protocol()+"://"+string(c.Request().Host())) {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	return false
}

// writeOriginAllowed is the CSRF check of a state-changing request that a
// cookie authenticates. Browsers send Origin on every such request; when
// it is missing the Referer's origin is checked instead, and a request
// with neither is refused.
func (s *Server) writeOriginAllowed(c *fiber.Ctx) bool {
	if origin := c.Get(fiber.HeaderOrigin); origin != "" {
		return s.trustedOrigin(c, origin)
	}
	ref, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || ref.Scheme == "" || ref.Host == "" {
		return false
	}
	return s.trustedOrigin(c, ref.Scheme+"://"+ref.Host)
}

// setAuthenticate adds the WWW-Authenticate challenge of a 401.
func setAuthenticate(c *fiber.Ctx, code string) {
	v := `Bearer realm="tickerd"`
	if code == portfolio.CodeUnauthorized {
		v += `, error="invalid_token"`
	}
	c.Set(fiber.HeaderWWWAuthenticate, v)
}

// requireSession authenticates the request (401 otherwise), applies the
// Origin check to cookie-authenticated writes (403) and stores the session
// for the handler (sessionOf).
func (s *Server) requireSession(c *fiber.Ctx) error {
	tok, viaCookie, err := credentials(c)
	if errors.Is(err, errNoCredentials) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="tickerd"`)
		return writeProblem(c, portfolio.CodeUnauthorized,
			"authentication required: send \"Authorization: Bearer <token>\" or the session cookie")
	}
	if err != nil {
		return err
	}
	if viaCookie && !isSafeMethod(c.Method()) && !s.writeOriginAllowed(c) {
		return writeProblem(c, codeOriginForbidden,
			"cookie-authenticated requests that change state must come from this site's origin")
	}
	sess, err := s.sessions.Authenticate(c.UserContext(), tok)
	if err != nil {
		return err
	}
	c.Locals(localSession, sess)
	return c.Next()
}

// sessionOf returns the session requireSession stored.
func sessionOf(c *fiber.Ctx) (portfolio.Session, bool) {
	sess, ok := c.Locals(localSession).(portfolio.Session)
	return sess, ok
}

func isSafeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// setRetryAfter tells a rate-limited client how long to wait, in whole
// seconds rounded up.
func setRetryAfter(c *fiber.Ctx, wait time.Duration) {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((wait+time.Second-1)/time.Second)))
}

// registerAuthRoutes: register, login, logout and me.
func (s *Server) registerAuthRoutes(api fiber.Router) {
	api.Post("/auth/register", s.handleRegister)
	api.Post("/auth/login", s.handleLogin)
	api.Post("/auth/logout", s.requireSession, s.handleLogout)
	api.Get("/me", s.requireSession, s.handleMe)
}

type credentialsBody struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type accountJSON struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	CreatedAt string `json:"created_at"`
}

func toAccountJSON(a portfolio.Account) accountJSON {
	return accountJSON{ID: a.ID, Username: a.Username, CreatedAt: wire.Time(a.CreatedAt)}
}

func (s *Server) handleRegister(c *fiber.Ctx) error {
	if wait := s.registerPerIP.allow("ip:"+c.IP(), time.Now()); wait > 0 {
		s.metrics.countRegisterFailure(registerRateLimited)
		setRetryAfter(c, wait)
		return writeProblem(c, codeRateLimited, "too many registrations from this address; try again later")
	}
	var body credentialsBody
	if err := decodeJSON(c, &body, "username", "password"); err != nil {
		return err
	}
	acct, err := s.store.Register(c.UserContext(), body.Username, body.Password)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(toAccountJSON(acct))
}

func (s *Server) handleLogin(c *fiber.Ctx) error {
	var body credentialsBody
	if err := decodeJSON(c, &body, "username", "password"); err != nil {
		return err
	}
	wait := s.loginWait(c.IP(), body.Username, time.Now())
	if wait > 0 {
		s.metrics.countLoginFailure(loginRateLimited)
		setRetryAfter(c, wait)
		return writeProblem(c, codeRateLimited,
			"too many login attempts; try again later")
	}
	tok, sess, err := s.store.Login(c.UserContext(), body.Username, body.Password)
	if err != nil {
		if portfolio.ErrorCode(err) == portfolio.CodeInvalidCredentials {
			s.metrics.countLoginFailure(loginBadCredentials)
		}
		return err // invalid_credentials, the same for unknown users and wrong passwords
	}
	acct, err := s.store.Account(c.UserContext(), sess.AccountID)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name:     sessionCookie,
		Value:    tok,
		Path:     "/",
		MaxAge:   int(time.Until(sess.ExpiresAt) / time.Second),
		Expires:  sess.ExpiresAt,
		Secure:   s.cfg.SecureCookies,
		HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode,
	})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{
		"token":      tok,
		"expires_at": wire.Time(sess.ExpiresAt),
		"account":    toAccountJSON(acct),
	})
}

func (s *Server) handleLogout(c *fiber.Ctx) error {
	tok, _, err := credentials(c)
	if err != nil {
		return err
	}
	sess, err := s.store.Logout(c.UserContext(), tok)
	if err != nil {
		return err
	}
	s.streams.CloseSession(sess.ID)
	if s.events != nil {
		s.events.SessionRevoked(sess.ID)
	}
	c.Cookie(&fiber.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		Expires:  time.Unix(0, 0),
		Secure:   s.cfg.SecureCookies,
		HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode,
	})
	return c.SendStatus(http.StatusNoContent)
}

func (s *Server) handleMe(c *fiber.Ctx) error {
	sess, _ := sessionOf(c)
	acct, err := s.store.Account(c.UserContext(), sess.AccountID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"id":                 acct.ID,
		"username":           acct.Username,
		"created_at":         wire.Time(acct.CreatedAt),
		"session_expires_at": wire.Time(sess.ExpiresAt),
	})
}
