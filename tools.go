//go:build tools

// Package tools pins the libraries loadrun is built on so that `go mod tidy`
// keeps them while the packages that use them are being written.
package tools

import (
	_ "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/antchfx/htmlquery"
	_ "github.com/antchfx/xmlquery"
	_ "github.com/expr-lang/expr"
	_ "github.com/tidwall/gjson"
	_ "github.com/valyala/fasthttp"
	_ "go.yaml.in/yaml/v3"
)
