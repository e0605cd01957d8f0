package demo

import (
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
)

// product is one catalogue entry.
type product struct {
	ID    int     `json:"id" xml:"id,attr"`
	SKU   string  `json:"sku" xml:"sku"`
	Name  string  `json:"name" xml:"name"`
	Price float64 `json:"price" xml:"price"`
}

// catalogue is the fixed product list of the home page, /api/items and /xml.
var catalogue = func() []product {
	names := []string{"Teapot", "Mug", "Kettle", "Tea tin", "Strainer", "Cup", "Saucer",
		"Tray", "Spoon", "Cosy", "Sugar bowl", "Milk jug", "Coaster", "Timer", "Scale",
		"Grinder", "Filter", "Jar", "Napkin", "Biscuit box"}
	ps := make([]product, len(names))
	for i, n := range names {
		ps[i] = product{ID: i + 1, SKU: fmt.Sprintf("SKU-%03d", i+1), Name: n, Price: float64(i%7)*2.5 + 2.5}
	}
	return ps
}()

// The bodies that never change are encoded once.
var (
	itemsJSON = mustJSON(struct {
		Items []product `json:"items"`
		Count int       `json:"count"`
	}{catalogue, len(catalogue)})
	catalogueXML = func() []byte {
		b, err := xml.MarshalIndent(struct {
			XMLName  xml.Name  `xml:"catalog"`
			Currency string    `xml:"currency,attr"`
			Products []product `xml:"product"`
		}{Currency: "EUR", Products: catalogue}, "", "  ")
		if err != nil {
			panic(err) // a constant value: fails on every run or never
		}
		return append([]byte(xml.Header), append(b, '\n')...)
	}()
	demoCart = cart{Items: []cartLine{{"SKU-001", "Teapot", 1, 10}, {"SKU-002", "Mug", 1, 2.5}}, Total: 12.5}
	cartJSON = mustJSON(demoCart)
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a constant value: fails on every run or never
	}
	return append(b, '\n')
}

// cart is the fixed cart of /cart and /api/cart.
type cart struct {
	Items []cartLine `json:"items"`
	Total float64    `json:"total"`
}

type cartLine struct {
	SKU   string  `json:"sku"`
	Name  string  `json:"name"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

func writeBytes(w http.ResponseWriter, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b) // a write error means the client went away
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, homeTmpl, titled{Title: "Home", Products: catalogue})
}

func (a *App) about(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/about/" {
		http.NotFound(w, r)
		return
	}
	renderPage(w, http.StatusOK, aboutTmpl, titled{Title: "About"})
}

// positiveID parses a path id; URL-list tests visit many of them.
func positiveID(r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	return id, err == nil && id > 0
}

// item renders a page for any positive id, so a URL list of any length
// finds a page at each entry.
func (a *App) item(w http.ResponseWriter, r *http.Request) {
	id, ok := positiveID(r)
	if !ok {
		http.Error(w, "item ids are positive integers", http.StatusNotFound)
		return
	}
	p := product{ID: id, SKU: fmt.Sprintf("ITEM-%d", id), Name: fmt.Sprintf("Item %d", id), Price: float64(id%40) + 0.99}
	if id <= len(catalogue) {
		p = catalogue[id-1]
	}
	renderPage(w, http.StatusOK, productTmpl, titled{Title: p.Name, Product: p})
}

// product renders a catalogue product; unknown ids are 404.
func (a *App) product(w http.ResponseWriter, r *http.Request) {
	id, ok := positiveID(r)
	if !ok || id > len(catalogue) {
		http.Error(w, fmt.Sprintf("no product %q; products are 1 to %d", r.PathValue("id"), len(catalogue)), http.StatusNotFound)
		return
	}
	p := catalogue[id-1]
	renderPage(w, http.StatusOK, productTmpl, titled{Title: p.Name, Product: p})
}

func (a *App) cartPage(w http.ResponseWriter, r *http.Request) {
	renderPage(w, http.StatusOK, cartTmpl, titled{Title: "Cart", Cart: demoCart})
}

func (a *App) cartAPI(w http.ResponseWriter, r *http.Request) {
	writeBytes(w, "application/json", cartJSON)
}

func (a *App) itemsAPI(w http.ResponseWriter, r *http.Request) {
	writeBytes(w, "application/json", itemsJSON)
}

func (a *App) xmlDoc(w http.ResponseWriter, r *http.Request) {
	writeBytes(w, "application/xml; charset=utf-8", catalogueXML)
}

// order is one created order. It never changes after creation.
type order struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	Item     string `json:"item"`
	Qty      int    `json:"qty"`
	Username string `json:"username"`
	session  string // owner: another session's order is "not found"
}

// orders keeps the most recent orders in a ring indexed by id, so creating
// and reading an order takes no lock and memory stays bounded: an order
// created len(slots) orders ago is forgotten (404).
type orders struct {
	slots  []atomic.Pointer[order]
	nextID atomic.Int64
}

func (o *orders) init(max int) { o.slots = make([]atomic.Pointer[order], max) }

func (o *orders) reset() {
	for i := range o.slots {
		o.slots[i].Store(nil)
	}
	o.nextID.Store(0)
}

func (o *orders) add(od *order) {
	od.ID = o.nextID.Add(1)
	o.slots[od.ID%int64(len(o.slots))].Store(od)
}

func (o *orders) get(id int64) *order {
	if id <= 0 {
		return nil
	}
	if od := o.slots[id%int64(len(o.slots))].Load(); od != nil && od.ID == id {
		return od
	}
	return nil
}

// orderRequest is a JSON order body; forms use the same field names.
type orderRequest struct {
	Item string `json:"item"`
	Qty  int    `json:"qty"`
	CSRF string `json:"csrf"`
}

// createOrder needs a session (401) and its CSRF token (403), which is what
// makes it the target of correlation tests.
func (a *App) createOrder(w http.ResponseWriter, r *http.Request) {
	ss := a.sessions.get(r)
	if ss == nil {
		writeJSON(w, http.StatusUnauthorized, errorBody{"not logged in"})
		return
	}
	var req orderRequest
	asJSON, err := readBody(w, r, &req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{err.Error()})
		return
	}
	if !asJSON {
		req.Item, req.CSRF = r.PostFormValue("item"), r.PostFormValue("csrf")
		if q := r.PostFormValue("qty"); q != "" {
			if req.Qty, err = strconv.Atoi(q); err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody{fmt.Sprintf("qty %q is not a whole number", q)})
				return
			}
		}
	}
	if !validCSRF(ss, r, req.CSRF) {
		writeJSON(w, http.StatusForbidden, errorBody{"missing or wrong CSRF token (csrf field or X-CSRF-Token header)"})
		return
	}
	if req.Qty == 0 {
		req.Qty = 1
	}
	if req.Qty < 0 || req.Qty > 1000 {
		writeJSON(w, http.StatusBadRequest, errorBody{fmt.Sprintf("qty %d is out of range 1..1000", req.Qty)})
		return
	}
	if req.Item == "" {
		req.Item = "teapot"
	}
	if len(req.Item) > 100 {
		req.Item = req.Item[:100] // stored orders stay small
	}
	od := &order{Status: "created", Item: req.Item, Qty: req.Qty, Username: ss.user, session: ss.id}
	a.orders.add(od)
	w.Header().Set("X-Request-Id", rand.Text())
	w.Header().Set("Location", fmt.Sprintf("/api/orders/%d", od.ID))
	writeJSON(w, http.StatusCreated, struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}{od.ID, od.Status})
}

// ownOrder finds the order in the path if it belongs to the client's
// session; ok is false after an error answer was written.
func (a *App) ownOrder(w http.ResponseWriter, r *http.Request, asJSON bool) (*order, bool) {
	ss := a.sessions.get(r)
	if ss == nil {
		httpError(w, asJSON, http.StatusUnauthorized, "not logged in")
		return nil, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	od := a.orders.get(id)
	if err != nil || od == nil || od.session != ss.id {
		httpError(w, asJSON, http.StatusNotFound, fmt.Sprintf("no order %q in this session", r.PathValue("id")))
		return nil, false
	}
	return od, true
}

func (a *App) orderAPI(w http.ResponseWriter, r *http.Request) {
	if od, ok := a.ownOrder(w, r, true); ok {
		writeJSON(w, http.StatusOK, od)
	}
}

// orderPage carries order-id="N" for boundary (left/right) extractors.
func (a *App) orderPage(w http.ResponseWriter, r *http.Request) {
	if od, ok := a.ownOrder(w, r, false); ok {
		renderPage(w, http.StatusOK, orderTmpl, titled{Title: fmt.Sprintf("Order %d", od.ID), Order: *od})
	}
}
