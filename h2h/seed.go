package h2h

import (
	"regexp"
	"strings"
)

// SeedFormat is one line format of the partner documents the API follows:
// seed 002 (the OtomaX report of a final state) and seed 004 (the kiosAMPM
// H2H document: its clear-text request and its answer lines). Line is the
// document's template, with [placeholders]. h2h/testdata/seeds.json holds
// the same lines as copied from the documents, and the tests compare the
// answers to them character by character; `smsgw partner simulate` checks a
// gateway's answers against them.
type SeedFormat struct {
	Seed string // "002" or "004"
	Name string // "report", "request", "success", "pending", "unknown", "double", "failed"
	Line string
}

// SeedFormats are the formats of seeds 002 and 004.
var SeedFormats = []SeedFormat{
	{"002", "report", "report?t=[trxid]&refid=[refid]&status=[status]&price=[price]&message=[message]"},
	{"004", "request", "trx?memberid=[memberid]&dest=[tujuan]&product=[kodeproduk]&refid=[refid]&pin=[pin]&password=[password]"},
	{"004", "success", "#[trxid]#[kodeproduk]#ke:[tujuan]#SUKSES#SN:[sn]# Sisa saldo Rp.[saldo_awal]-Rp. [harga]=Rp. [saldo_akhir]#Reffid:[refid]#"},
	{"004", "pending", "#[trxid]#[kodeproduk]#ke:[tujuan]#akan diproses [waktu].#Saldo Rp.[saldo]#Reffid:[refid] #"},
	{"004", "unknown", "#[trxid]#[kodeproduk]#ke:[tujuan]#masih dalam proses [waktu]. Mohon ditunggu, lebih dari 15mnt Silahkan hubungi CS.#Saldo Rp.[saldo]#Reffid:[refid] #"},
	{"004", "double", "#[trxid]#[kodeproduk]#ke:[tujuan]#[status]; sudah pernah jam [jam] SN/Ref: [sn].#Saldo Rp.[saldo]#Reffid:[refid] #"},
	{"004", "failed", "#[trxid]#[kodeproduk]#ke:[tujuan]#GAGAL; [keterangan]#Saldo Rp.[saldo]#Reffid:[refid] #"},
}

// Seed report statuses (seed 002).
const (
	SeedStatusSuccess = "20"
	SeedStatusFailed  = "40"
)

// SeedFailureTexts are the [keterangan] texts of seed 004's failed line.
var SeedFailureTexts = []string{
	textNotProcessed,
	textCancelled,
	"Kode Produk Salah. Silahkan Hubungi CS, ketik PRODUK.",
	"Nomor tujuan salah, periksa kembali nomor anda.",
	"Nomor belum/ tidak aktif/ sudah tidak aktif.",
	"Saldo Tidak Cukup.",
	"Nomor tujuan tdk dpt di proses krn trx gagal berturut-turut (max 5x), Silahkan Hubungi CS.",
	"CutOff/ Timeout, silahkan ulangi beberapa saat kemudian.",
	"Produk Sedang Gangguan.",
}

// Seed returns the format of seed by name; ok is false if there is none.
func Seed(seed, name string) (SeedFormat, bool) {
	for _, f := range SeedFormats {
		if f.Seed == seed && f.Name == name {
			return f, true
		}
	}
	return SeedFormat{}, false
}

var placeholder = regexp.MustCompile(`\[[a-z_]+\]`)

// Render fills the placeholders of f with values; a placeholder without a
// value is left as it is.
func (f SeedFormat) Render(values map[string]string) string {
	return placeholder.ReplaceAllStringFunc(f.Line, func(p string) string {
		if v, ok := values[p[1:len(p)-1]]; ok {
			return v
		}
		return p
	})
}

// Match reports whether line has the format f, with the placeholders in
// known equal to their values and the others any text without the field
// separator '#' ([trxid]: digits only).
func (f SeedFormat) Match(line string, known map[string]string) bool {
	var b strings.Builder
	b.WriteString("^")
	rest := f.Line
	for _, loc := range placeholder.FindAllStringIndex(f.Line, -1) {
		off := len(f.Line) - len(rest)
		b.WriteString(regexp.QuoteMeta(rest[:loc[0]-off]))
		name := f.Line[loc[0]+1 : loc[1]-1]
		switch v, ok := known[name]; {
		case ok:
			b.WriteString(regexp.QuoteMeta(v))
		case name == "trxid":
			b.WriteString("[0-9]+")
		default:
			b.WriteString("[^#]*")
		}
		rest = f.Line[loc[1]:]
	}
	b.WriteString(regexp.QuoteMeta(rest))
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	return err == nil && re.MatchString(line)
}
