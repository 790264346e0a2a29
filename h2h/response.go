package h2h

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/partner"
	"github.com/smsgw/smsgw/smsgw"
)

// Response codes (the rc field). docs/h2h.md has the table.
const (
	RCSuccess        = "00" // credited
	RCPending        = "01" // accepted; waiting for the customer's PIN
	RCUnknown        = "02" // not final after 15 minutes; being reconciled (never a failure)
	RCFailed         = "03" // final failure: the customer did not confirm, cancelled or was locked
	RCBadRequest     = "10" // missing or malformed parameter
	RCTooLarge       = "11" // body over the size limit
	RCMethod         = "12" // method or content type not allowed
	RCProduct        = "13" // unknown product code or amount not on sale
	RCDestination    = "14" // malformed destination or no such i-pay account
	RCNotCustomer    = "15" // destination not registered for PIN confirmation
	RCCustomerBusy   = "16" // the customer has a request waiting for a PIN, or is locked
	RCNotFound       = "17" // no request with this refid, or no such inquiry
	RCExpired        = "18" // inquiry expired
	RCPaid           = "19" // inquiry already paid
	RCUnknownPartner = "20" // memberid not configured
	RCSignature      = "21" // bad signature, sign or Basic credentials
	RCTimestamp      = "22" // timestamp missing or outside the window
	RCReplay         = "23" // nonce already used
	RCIP             = "24" // source address not allowed
	RCForbidden      = "25" // operation not enabled for this partner or scheme
	RCConflict       = "30" // refid already used for another request
	RCDuplicate      = "31" // same product and destination within the window (when refused)
	RCFunds          = "40" // deposit too low
	RCBlocked        = "41" // destination blocked after consecutive failures
	RCCutoff         = "42" // daily cutoff window
	RCInternal       = "50" // internal error; the request may be retried with the same refid
)

// Callback and response status values, as OtomaX reports them.
const (
	StatusPending = 10
	StatusSuccess = 20
	StatusFailed  = 40
)

// Response is the JSON body of every answer. Fields that do not apply are
// omitted.
type Response struct {
	RC        string `json:"rc"`
	Message   string `json:"message"`
	Status    int    `json:"status,omitempty"`
	State     string `json:"state,omitempty"`
	Reason    string `json:"reason,omitempty"`
	TrxID     int64  `json:"trxid,omitempty"`
	RefID     string `json:"refid,omitempty"`
	Product   string `json:"product,omitempty"`
	Dest      string `json:"dest,omitempty"`
	Amount    int64  `json:"amount,omitempty"`
	Price     *int64 `json:"price,omitempty"`
	SN        string `json:"sn,omitempty"`
	Balance   *int64 `json:"balance,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Resent    bool   `json:"resent,omitempty"`
	InquiryID int64  `json:"inquiry_id,omitempty"`
	Name      string `json:"name,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
	Time      string `json:"time,omitempty"`
}

func int64p(v int64) *int64 { return &v }

// outcome is how an smsgw error code is answered.
type outcome struct {
	rc     string
	status int    // HTTP status
	text   string // kiosAMPM text after "GAGAL; "
}

// outcomes maps smsgw and partner error codes; anything else is internal.
var outcomes = map[string]outcome{
	smsgw.EInvalid:       {RCBadRequest, http.StatusBadRequest, textNotProcessed},
	smsgw.ENotFound:      {RCNotFound, http.StatusNotFound, textNotProcessed},
	smsgw.EExpired:       {RCExpired, http.StatusGone, textNotProcessed},
	partner.EPaid:        {RCPaid, http.StatusConflict, textNotProcessed},
	partner.EProduct:     {RCProduct, http.StatusUnprocessableEntity, "Kode Produk Salah. Silahkan Hubungi CS, ketik PRODUK."},
	partner.EDestination: {RCDestination, http.StatusUnprocessableEntity, "Nomor tujuan salah, periksa kembali nomor anda."},
	partner.ENotCustomer: {RCNotCustomer, http.StatusUnprocessableEntity, "Nomor belum/ tidak aktif/ sudah tidak aktif."},
	smsgw.EBusy:          {RCCustomerBusy, http.StatusConflict, textNotProcessed},
	smsgw.ELocked:        {RCCustomerBusy, http.StatusConflict, textNotProcessed},
	partner.EReplay:      {RCReplay, http.StatusConflict, textNotProcessed},
	partner.EForbidden:   {RCForbidden, http.StatusForbidden, textNotProcessed},
	smsgw.EConflict:      {RCConflict, http.StatusConflict, textNotProcessed},
	partner.EPossibleDup: {RCDuplicate, http.StatusConflict, textNotProcessed},
	smsgw.EFunds:         {RCFunds, http.StatusUnprocessableEntity, "Saldo Tidak Cukup."},
	partner.EBlocked:     {RCBlocked, http.StatusUnprocessableEntity, "Nomor tujuan tdk dpt di proses krn trx gagal berturut-turut (max 5x), Silahkan Hubungi CS."},
	partner.ECutoff:      {RCCutoff, http.StatusServiceUnavailable, "CutOff/ Timeout, silahkan ulangi beberapa saat kemudian."},
}

// internalOutcome answers an internal error.
var internalOutcome = outcome{RCInternal, http.StatusInternalServerError, "Produk Sedang Gangguan."}

// kiosAMPM texts of final failures.
const (
	textNotProcessed = "Transaksi tidak dapat diproses."
	textCancelled    = "Dibatalkan provider."
)

// failureText is the kiosAMPM text of a failed request with the failure
// code (a Reason* or, for a refused request, its error code).
func failureText(code string) string {
	if code == partner.ReasonCancelled {
		return textCancelled
	}
	if o, ok := outcomes[code]; ok {
		return o.text
	}
	return textNotProcessed
}

// outcomeOf maps an error from partner.Service.
func outcomeOf(err error) outcome {
	if o, ok := outcomes[smsgw.ErrorCode(err)]; ok {
		return o
	}
	return internalOutcome
}

// requestResponse is the JSON answer describing a partner request.
func requestResponse(r *partner.Request, resent bool, loc *time.Location) Response {
	resp := Response{
		TrxID: r.ID, RefID: r.RefID, Product: r.Product, Dest: r.Dest.Local(), Amount: int64(r.Amount),
		Price: int64p(int64(r.Price)), SN: r.SN, Balance: int64p(int64(r.BalanceAfter)), Duplicate: r.Duplicate,
		Resent: resent, State: string(r.State), Reason: r.Code, Time: r.CreatedAt.In(loc).Format(time.RFC3339),
	}
	switch r.State {
	case partner.Success:
		resp.RC, resp.Status, resp.Message = RCSuccess, StatusSuccess, "success"
	case partner.Failed:
		resp.RC, resp.Status, resp.Message = RCFailed, StatusFailed, "failed: "+r.Code
	case partner.Unknown:
		resp.RC, resp.Status, resp.Message = RCUnknown, StatusPending, "still in process; being reconciled, contact support"
	default:
		resp.RC, resp.Status, resp.Message = RCPending, StatusPending, "waiting for the customer's confirmation"
	}
	if resent {
		resp.Message += " (refid seen before: original result)"
	}
	return resp
}

// grouped formats a as kiosAMPM does: thousands separated by commas.
func grouped(a domain.Amount) string {
	s := strconv.FormatInt(int64(a), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// textField removes the field separator from echoed values.
func textField(s string) string {
	s = strings.ReplaceAll(s, "#", "")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// textHead is "#[trxid]#[kodeproduk]#ke:[tujuan]#".
func textHead(trxid int64, product, dest string) string {
	id := ""
	if trxid != 0 {
		id = strconv.FormatInt(trxid, 10)
	}
	return "#" + id + "#" + textField(product) + "#ke:" + textField(dest) + "#"
}

// textTail is "#Saldo Rp.[saldo]#Reffid:[refid] #".
func textTail(balance domain.Amount, refid string) string {
	return "#Saldo Rp." + grouped(balance) + "#Reffid:" + textField(refid) + " #"
}

// requestText renders a request in the kiosAMPM reply form. balance is the
// partner's current deposit balance, shown by every form but success, which
// shows the balance before and after its own debit.
func requestText(r *partner.Request, resent bool, balance domain.Amount, loc *time.Location) string {
	head := textHead(r.ID, r.Product, r.Dest.Local())
	if resent {
		word := "PENDING"
		switch r.State {
		case partner.Success:
			word = "SUKSES"
		case partner.Failed:
			word = "GAGAL"
		}
		return head + word + "; sudah pernah jam " + r.CreatedAt.In(loc).Format("15:04") + " SN/Ref: " + r.SN + "." +
			textTail(balance, r.RefID)
	}
	switch r.State {
	case partner.Success:
		return head + "SUKSES#SN:" + r.SN + "# Sisa saldo Rp." + grouped(r.BalanceBefore) + "-Rp. " + grouped(r.Price) +
			"=Rp. " + grouped(r.BalanceAfter) + "#Reffid:" + textField(r.RefID) + "#"
	case partner.Failed:
		return head + "GAGAL; " + failureText(r.Code) + textTail(balance, r.RefID)
	case partner.Unknown:
		return head + "masih dalam proses " + r.CreatedAt.In(loc).Format("15:04:05") +
			". Mohon ditunggu, lebih dari 15mnt Silahkan hubungi CS." + textTail(balance, r.RefID)
	default:
		return head + "akan diproses " + r.CreatedAt.In(loc).Format("15:04:05") + "." + textTail(balance, r.RefID)
	}
}

// rejectionText renders a refused request in the kiosAMPM form; it has no
// trxid.
func rejectionText(o outcome, product, dest, refid string, balance domain.Amount) string {
	return textHead(0, product, dest) + "GAGAL; " + o.text + textTail(balance, refid)
}
