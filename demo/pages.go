package demo

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
)

//go:embed static
var staticFiles embed.FS

// staticHandler serves the small embedded assets under /static/.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		// fs.Sub fails only on an invalid name; "static" is a constant.
		panic(err)
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// layout wraps every page, so all of them have a <title> and the same links
// for link-following and xpath tests.
const layout = `{{define "top"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}} - loadrun demo shop</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<nav id="menu"><a href="/">Home</a> <a href="/about/">About</a> <a href="/cart">Cart</a> <a href="/login">Log in</a> <a href="/account">Account</a></nav>
<main>{{end}}
{{define "bottom"}}</main>
<footer><img src="/static/logo.svg" alt="loadrun" width="24" height="24"> loadrun demo shop</footer>
</body>
</html>
{{end}}`

// pageTemplate parses one page body together with the layout. Templates are
// constants, so a parse error is a bug caught by every test run.
func pageTemplate(body string) *template.Template {
	return template.Must(template.Must(template.New("page").Parse(layout)).Parse(body))
}

var (
	homeTmpl = pageTemplate(`{{template "top" .}}
<h1>Welcome to the demo shop</h1>
<ul id="products">
{{range .Products}}<li class="product" data-id="{{.ID}}"><a href="/product/{{.ID}}">{{.Name}}</a> <span class="price">{{printf "%.2f" .Price}}</span></li>
{{end}}</ul>
{{template "bottom" .}}`)

	aboutTmpl = pageTemplate(`{{template "top" .}}
<h1>About</h1>
<p id="about">This shop exists so that loadrun can be tried with no other setup.</p>
{{template "bottom" .}}`)

	productTmpl = pageTemplate(`{{template "top" .}}
<h1 class="product-name">{{.Product.Name}}</h1>
<div class="product" data-id="{{.Product.ID}}" product-id="{{.Product.ID}}">
<span class="price">{{printf "%.2f" .Product.Price}}</span>
<span class="sku">{{.Product.SKU}}</span>
</div>
<form method="post" action="/cart"><input type="hidden" name="sku" value="{{.Product.SKU}}"><button>Add to cart</button></form>
{{template "bottom" .}}`)

	cartTmpl = pageTemplate(`{{template "top" .}}
<h1>Cart</h1>
<table id="cart">
{{range .Cart.Items}}<tr class="line"><td class="sku">{{.SKU}}</td><td class="name">{{.Name}}</td><td class="qty">{{.Qty}}</td><td class="price">{{printf "%.2f" .Price}}</td></tr>
{{end}}</table>
<p class="total">Total: <span id="total">{{printf "%.2f" .Cart.Total}}</span></p>
{{template "bottom" .}}`)

	loginTmpl = pageTemplate(`{{template "top" .}}
<h1>Log in</h1>
{{with .Error}}<p class="error">{{.}}</p>{{end}}{{with .User}}<p class="user">Logged in as {{.}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Username <input type="text" name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Log in</button>
</form>
{{template "bottom" .}}`)

	welcomeTmpl = pageTemplate(`{{template "top" .}}
<h1>Welcome, <span id="username">{{.User}}</span></h1>
<form method="post" action="/api/orders">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="text" name="item" value="teapot">
<button type="submit">Order</button>
</form>
<form method="post" action="/logout"><button type="submit">Log out</button></form>
{{template "bottom" .}}`)

	accountTmpl = pageTemplate(`{{template "top" .}}
<h1>Account</h1>
<p>Logged in as <span id="username">{{.User}}</span></p>
<form method="post" action="/api/orders">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="text" name="item" value="teapot">
<button type="submit">Order</button>
</form>
{{template "bottom" .}}`)

	orderTmpl = pageTemplate(`{{template "top" .}}
<h1>Order {{.Order.ID}}</h1>
<div class="order" order-id="{{.Order.ID}}">
<span class="item">{{.Order.Item}}</span> × <span class="qty">{{.Order.Qty}}</span>
<span class="status">{{.Order.Status}}</span>
</div>
{{template "bottom" .}}`)
)

// loginData feeds the login, welcome and account pages.
type loginData struct {
	User  string
	CSRF  string
	Error string
}

// Title lets every page data type fill the layout's <title>.
func (d loginData) Title() string {
	switch {
	case d.Error != "" || d.User == "":
		return "Log in"
	default:
		return "Welcome " + d.User
	}
}

// titled is the data of pages whose only layout need is a title.
type titled struct {
	Title    string
	Products []product
	Product  product
	Cart     cart
	Order    order
}

// renderPage renders into a buffer first, so a template error becomes a
// clean 500 rather than half a page with a 200 status.
func renderPage(w http.ResponseWriter, code int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "demo: rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes()) // a write error means the client went away
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "demo: encoding the answer failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n')) // a write error means the client went away
}

// httpError answers an error as JSON to JSON clients and as text otherwise.
func httpError(w http.ResponseWriter, asJSON bool, code int, msg string) {
	if asJSON {
		writeJSON(w, code, errorBody{msg})
		return
	}
	http.Error(w, msg, code)
}

// isJSON reports whether the request body is declared as JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || len(mt) > 5 && mt[len(mt)-5:] == "+json")
}

// readBody decodes a JSON body into v, or parses a form body (urlencoded or
// multipart) so that PostFormValue works. Bodies over MaxBodyBytes are
// refused. It reports whether the body was JSON.
func readBody(w http.ResponseWriter, r *http.Request, v any) (bool, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if isJSON(r) {
		if err := json.NewDecoder(r.Body).Decode(v); err != nil {
			return true, errors.New("the JSON body is not valid: " + err.Error())
		}
		return true, nil
	}
	err := r.ParseMultipartForm(MaxBodyBytes)
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return false, errors.New("the form body is not valid: " + err.Error())
	}
	return false, nil
}
