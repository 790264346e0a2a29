package smsgw

import (
	"fmt"
	"sort"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

// Reply names: one template per customer-visible outcome. Texts are
// Indonesian; the customers are Indonesian.
const (
	ReplyHelp            = "help"
	ReplyUnknownKeyword  = "unknown_keyword"
	ReplyBadFormat       = "bad_format"
	ReplyNotRegistered   = "not_registered"       // top-up from an unregistered number
	ReplyNotRegisteredKW = "not_registered_other" // any other keyword from one
	ReplyUnknownAccount  = "unknown_account"
	ReplyBadAmount       = "bad_amount"
	ReplyAmountNotAllow  = "amount_not_allowed"
	ReplyPINPrompt       = "pin_prompt"
	ReplyBusy            = "busy"
	ReplySuccess         = "success"
	ReplyWrongPIN        = "wrong_pin"
	ReplyLocked          = "locked"
	ReplyStillLocked     = "still_locked"
	ReplyExpired         = "expired"
	ReplyCancelled       = "cancelled"
	ReplyNothingToCancel = "nothing_to_cancel"
	ReplyNoSession       = "no_session"
	ReplyNotAPIN         = "not_a_pin"
	ReplyBalance         = "balance"
	ReplyHistory         = "history"
	ReplyHistoryEmpty    = "history_empty"
	ReplyPINChanged      = "pin_changed"
	ReplyPINChangeFailed = "pin_change_failed"
	ReplyFailed          = "failed"
	ReplyPINWrongCode    = "pin_wrong_code"
	ReplyUnavailable     = "unavailable"
	ReplyRateLimited     = "rate_limited"      // first MO over the sender's MO rate
	ReplyTooManyAccounts = "too_many_accounts" // top-up for one account too many
	ReplyCorrected       = "corrected"         // an operator or the bank reversed (part of) a credit to the wallet
)

// DefaultReplies are the built-in reply templates (text/template syntax).
// Fields available: .Account .Amount .Balance .Allowed .Min .Max .TTL
// .Left .Until .Ref .RequestCode .PINCode .Keyword .Minutes .History (list
// of HistoryLine) .Time.
var DefaultReplies = map[string]string{
	ReplyHelp:            "Layanan i-Pay: isi ulang dengan IM2PAY [Account-ID] [nominal] ke {{.RequestCode}}, contoh IM2PAY 08110000002 50000. SALDO: cek saldo. RIWAYAT: 5 transaksi terakhir. PIN [PIN lama] [PIN baru]: ganti PIN. BATAL: batalkan permintaan.",
	ReplyUnknownKeyword:  "Maaf, perintah tidak dikenal. Untuk isi ulang kirim IM2PAY [Account-ID] [nominal] ke {{.RequestCode}}. Ketik BANTUAN untuk daftar perintah.",
	ReplyBadFormat:       "Maaf, format salah. Contoh: IM2PAY 08110000002 50000 kirim ke {{.RequestCode}}.",
	ReplyNotRegistered:   "IM2PAY GAGAL: nomor Anda belum terdaftar pada layanan SMS Banking. Silakan daftar terlebih dahulu.",
	ReplyNotRegisteredKW: "Maaf, nomor Anda belum terdaftar sebagai pengguna layanan SMS Banking i-Pay, sehingga perintah {{.Keyword}} belum dapat digunakan. Silakan daftar terlebih dahulu.",
	ReplyUnknownAccount:  "IM2PAY GAGAL: Account-ID {{.Account}} tidak terdaftar di i-Pay. Periksa kembali Account-ID Anda.",
	ReplyBadAmount:       "IM2PAY GAGAL: nominal tidak valid. Nominal yang tersedia: {{.Allowed}}.",
	ReplyAmountNotAllow:  "IM2PAY GAGAL: nominal Rp{{.Amount}} tidak tersedia. Nominal yang tersedia: {{.Allowed}}.",
	ReplyPINPrompt:       "Isi ulang i-Pay {{.Account}} sebesar Rp{{.Amount}}. Balas SMS ini dengan PIN SMS Banking Anda dalam {{.TTL}} menit. Ketik BATAL ke {{.RequestCode}} untuk membatalkan.",
	ReplyBusy:            "Anda masih memiliki permintaan isi ulang i-Pay {{.Account}} Rp{{.Amount}} yang menunggu PIN. Balas PIN ke {{.PINCode}} atau ketik BATAL ke {{.RequestCode}}.",
	ReplySuccess:         "Isi ulang i-Pay {{.Account}} sebesar Rp{{.Amount}} BERHASIL. Ref: {{.Ref}}. Terima kasih.",
	ReplyWrongPIN:        "PIN salah. Sisa kesempatan {{.Left}} kali. Balas dengan PIN yang benar ke {{.PINCode}}.",
	ReplyLocked:          "PIN salah {{.Attempts}} kali. Transaksi dibatalkan dan layanan Anda diblokir sampai {{.Until}}.",
	ReplyStillLocked:     "Maaf, layanan Anda diblokir sampai {{.Until}} karena PIN salah berulang kali.",
	ReplyExpired:         "Permintaan isi ulang i-Pay {{.Account}} Rp{{.Amount}} dibatalkan karena PIN tidak diterima dalam {{.TTL}} menit.",
	ReplyCancelled:       "Permintaan isi ulang i-Pay {{.Account}} Rp{{.Amount}} telah dibatalkan.",
	ReplyNothingToCancel: "Tidak ada permintaan yang dapat dibatalkan.",
	ReplyNoSession:       "Tidak ada transaksi yang menunggu PIN. Untuk isi ulang kirim IM2PAY [Account-ID] [nominal] ke {{.RequestCode}}.",
	ReplyNotAPIN:         "Balas dengan PIN SMS Banking Anda (angka saja) ke {{.PINCode}}, atau ketik BATAL ke {{.RequestCode}}.",
	ReplyBalance:         "Saldo i-Pay {{.Account}}: Rp{{.Balance}}.",
	ReplyHistory:         "Transaksi terakhir i-Pay {{.Account}}:{{range $i, $h := .History}}{{if $i}};{{end}} {{$h.Time}} {{$h.Sign}}Rp{{$h.Amount}} Ref {{$h.Ref}}{{end}}.",
	ReplyHistoryEmpty:    "Belum ada transaksi pada i-Pay {{.Account}}.",
	ReplyPINChanged:      "PIN SMS Banking Anda berhasil diubah.",
	ReplyPINChangeFailed: "Ganti PIN GAGAL: PIN lama salah atau PIN baru tidak valid. Format: PIN [PIN lama] [PIN baru].",
	ReplyPINWrongCode:    "Demi keamanan, kirim PIN hanya sebagai balasan SMS konfirmasi ke {{.PINCode}}. Jangan kirim PIN ke {{.RequestCode}}.",
	ReplyFailed:          "Maaf, transaksi i-Pay {{.Account}} Rp{{.Amount}} GAGAL diproses. Silakan coba lagi.",
	ReplyUnavailable:     "Maaf, pesan Anda tidak dapat diproses saat ini. Silakan coba lagi beberapa saat lagi.",
	ReplyRateLimited:     "Terlalu banyak SMS dari nomor Anda dalam waktu singkat. Pesan berikutnya belum dapat kami proses; silakan coba lagi dalam {{.Minutes}} menit.",
	ReplyTooManyAccounts: "IM2PAY GAGAL: demi keamanan, nomor Anda sudah meminta isi ulang untuk terlalu banyak Account-ID yang berbeda. Silakan coba lagi dalam {{.Minutes}} menit atau hubungi layanan pelanggan.",
	ReplyCorrected:       "Saldo i-Pay {{.Account}} dikoreksi sebesar -Rp{{.Amount}} (pembatalan transaksi Ref {{.Ref}}). Saldo Anda sekarang Rp{{.Balance}}.",

	// USSD screens (at most MaxUSSDScreen characters; "\n" starts a line).
	ReplyUSSDMenu:        "i-Pay\n1 Isi saldo\n2 Saldo\n3 Riwayat\n00 Keluar",
	ReplyUSSDAccount:     "Isi saldo i-Pay\nMasukkan Account-ID (nomor HP) tujuan:\n0 Kembali",
	ReplyUSSDNominal:     "Isi saldo {{.Account}}\n{{if .Nominals}}Pilih nominal:{{range .Nominals}}\n{{.N}} Rp{{.Amount}}{{end}}{{else}}Masukkan nominal (Rp{{.Min}} s/d Rp{{.Max}}):{{end}}\n0 Kembali",
	ReplyUSSDPIN:         "Isi saldo {{.Account}} Rp{{.Amount}}\nMasukkan PIN SMS Banking Anda:\n0 Batal",
	ReplyUSSDWrongPIN:    "PIN salah. Sisa kesempatan {{.Left}} kali.\nMasukkan PIN SMS Banking Anda:\n0 Batal",
	ReplyUSSDSuccess:     "Isi saldo {{.Account}} Rp{{.Amount}} BERHASIL. Ref: {{.Ref}}. Bukti transaksi dikirim lewat SMS. Terima kasih.",
	ReplyUSSDUnknownAcct: "Account-ID {{.Account}} tidak terdaftar di i-Pay.",
	ReplyUSSDRetry:       "Pilihan tidak valid, silakan ulangi.",
	ReplyUSSDGiveUp:      "Pilihan tidak valid. Sesi diakhiri; silakan hubungi *{{.RequestCode}}# lagi.",
	ReplyUSSDBye:         "Terima kasih telah menggunakan layanan i-Pay.",
	ReplyUSSDTooMany:     "Demi keamanan, nomor Anda sudah meminta isi ulang untuk terlalu banyak Account-ID. Silakan coba lagi dalam {{.Minutes}} menit.",
	ReplyUSSDWrongCode:   "Kode layanan tidak dikenal. Hubungi *{{.RequestCode}}# untuk layanan i-Pay.",
}

// sampleNominals is the longest nominal screen the defaults make.
var sampleNominals = []NominalLine{{1, "50.000"}, {2, "75.000"}, {3, "100.000"}, {4, "150.000"}, {5, "300.000"}, {6, "500.000"}}

// HistoryLine is one transfer in the RIWAYAT reply.
type HistoryLine struct {
	Time   string
	Sign   string // "+" for a credit to the wallet, "-" for a debit
	Amount string // grouped, without sign
	Ref    string
}

// ReplyData is what reply templates see.
type ReplyData struct {
	Account     string
	Amount      string
	Balance     string
	Allowed     string
	Min, Max    string
	TTL         int
	Left        int
	Attempts    int
	Until       string
	Ref         string
	RequestCode string
	PINCode     string
	Keyword     string
	Minutes     int // minutes to wait before trying again
	History     []HistoryLine
	Nominals    []NominalLine // the choices of the USSD nominal screen
}

// Replies renders reply texts. It is immutable and safe for concurrent use.
type Replies struct {
	t map[string]*template.Template
}

// NewReplies parses the DefaultReplies overridden by overrides. Unknown
// names and templates that fail to parse or execute are errors naming the
// reply.
func NewReplies(overrides map[string]string) (*Replies, error) {
	src := make(map[string]string, len(DefaultReplies))
	for k, v := range DefaultReplies {
		src[k] = v
	}
	for k, v := range overrides {
		if _, ok := DefaultReplies[k]; !ok {
			return nil, fmt.Errorf("reply %q: unknown reply name (known: %s)", k, strings.Join(ReplyNames(), ", "))
		}
		src[k] = v
	}
	r := &Replies{t: make(map[string]*template.Template, len(src))}
	sample := ReplyData{Keyword: "SALDO", Minutes: 5, Account: "08110000002", Amount: "50.000", Balance: "0", Allowed: "50.000", TTL: 5, Left: 1,
		Attempts: 3, Until: "01/01 00:00", Ref: "1", RequestCode: "9779", PINCode: "3355",
		History:  []HistoryLine{{Time: "01/01 00:00", Sign: "+", Amount: "50.000", Ref: "1"}},
		Nominals: sampleNominals}
	for name, text := range src {
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("reply %q: empty text", name)
		}
		t, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("reply %q: %w", name, err)
		}
		var out strings.Builder
		if err := t.Execute(&out, sample); err != nil {
			return nil, fmt.Errorf("reply %q: %w", name, err)
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(out.String())); strings.HasPrefix(name, "ussd_") && n > MaxUSSDScreen {
			return nil, fmt.Errorf("reply %q: %d characters with sample values, more than a USSD screen holds (%d)", name, n, MaxUSSDScreen)
		}
		r.t[name] = t
	}
	return r, nil
}

// ReplyNames lists the reply names in order.
func ReplyNames() []string {
	names := make([]string, 0, len(DefaultReplies))
	for k := range DefaultReplies {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Render executes reply name with d.
func (r *Replies) Render(name string, d ReplyData) (string, error) {
	t, ok := r.t[name]
	if !ok {
		return "", fmt.Errorf("reply %q: not defined", name)
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("reply %q: %w", name, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// render renders reply name with d and the rules' short codes.
func (r *Rules) render(name string, d ReplyData) (string, error) {
	d.RequestCode, d.PINCode = r.RequestCode, r.PINCode
	return r.Replies.Render(name, d)
}

// wib is Western Indonesia Time, the default zone of times shown to
// customers.
var wib = time.FixedZone("WIB", 7*3600)

// customerTime formats t for a reply text, in r.Location with its zone
// abbreviation: "23/11 16:30 WIB".
func (r *Rules) customerTime(t time.Time) string {
	return t.In(r.Location).Format("02/01 15:04 MST")
}
