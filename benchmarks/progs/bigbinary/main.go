// bigbinary links much of the standard library so that its DWARF is large
// (the DWARF index benchmark); its one map is main.Registry.
package main

import (
	"archive/zip"
	"compress/gzip"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"go/parser"
	"go/token"
	"go/types"
	"html/template"
	"image/png"
	"log/slog"
	"math/big"
	"net/http"
	"net/mail"
	"net/rpc"
	"os"
	"regexp"
	"runtime/pprof"
	"text/tabwriter"
	"time"
)

var Registry = map[string]any{}

func main() {
	Registry["zip"] = zip.NewWriter(nil)
	Registry["gzip"] = gzip.NewWriter(nil)
	Registry["tls"] = &tls.Config{}
	Registry["sql"] = sql.Drivers()
	Registry["json"] = json.Valid([]byte("{}"))
	Registry["xml"] = xml.Header
	Registry["fset"] = token.NewFileSet()
	_, err := parser.ParseExpr("1+2")
	Registry["parser"] = err
	Registry["types"] = types.Typ[types.Int]
	Registry["tmpl"] = template.New("x")
	Registry["png"] = png.DefaultCompression
	Registry["slog"] = slog.Default()
	Registry["big"] = big.NewInt(42)
	Registry["http"] = &http.Client{}
	Registry["mail"] = mail.Address{Name: "x"}
	Registry["rpc"] = rpc.NewServer()
	Registry["re"] = regexp.MustCompile("a+")
	Registry["pprof"] = pprof.Profiles()
	Registry["tab"] = tabwriter.NewWriter(os.Stdout, 1, 1, 1, ' ', 0)
	fmt.Println("READY", len(Registry))
	for {
		time.Sleep(time.Hour)
	}
}
