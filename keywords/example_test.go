package keywords_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/smsgw/smsgw/domain"
	"github.com/smsgw/smsgw/keywords"
)

func ExampleTable_Parse() {
	tab, err := keywords.NewTable(keywords.DefaultTableConfig())
	if err != nil {
		panic(err)
	}
	for _, text := range []string{
		"IM2PAY 08110000002 50000",
		"isi.0811-0000-002.Rp 75.000,-",
		"123456",
		"CEK SALDO",
	} {
		cmd, err := tab.Parse(text)
		if err != nil {
			panic(err)
		}
		switch c := cmd.(type) {
		case keywords.Pay:
			fmt.Printf("%s: pay %s to %s\n", c.Keyword(), c.Amount, c.Account.Local())
		case keywords.PINReply:
			fmt.Printf("%s: PIN %v\n", c.Keyword(), c.PIN)
		default:
			fmt.Println(c.Keyword())
		}
	}
	// Output:
	// IM2PAY: pay Rp50.000 to 08110000002
	// IM2PAY: pay Rp75.000 to 08110000002
	// PIN: PIN ****
	// SALDO
}

func ExampleTable_Parse_errors() {
	tab, err := keywords.NewTable(keywords.TableConfig{})
	if err != nil {
		panic(err)
	}
	for _, text := range []string{
		"IM2PAY 08110000002 60000",
		"IM2PAY 9779 50000",
		"IM2PAY 08110000002",
		"TRANSFER 08110000002 50000",
	} {
		_, err := tab.Parse(text)
		var e *keywords.Error
		if !errors.As(err, &e) {
			panic(err)
		}
		switch e.Kind {
		case keywords.AmountNotAllowed:
			fmt.Println("Nominal yang tersedia: " + domain.FormatAmounts(e.Allowed))
		case keywords.BadAccount:
			fmt.Println("Nomor akun tidak valid")
		case keywords.MissingArgument:
			fmt.Println("Format: IM2PAY <nomor> <nominal>, missing", e.Arg)
		default:
			fmt.Println(err)
		}
	}
	// Output:
	// Nominal yang tersedia: 50.000, 75.000, 100.000, 150.000, 300.000 dan 500.000
	// Nomor akun tidak valid
	// Format: IM2PAY <nomor> <nominal>, missing amount
	// unknown keyword "TRANSFER"
}

func ExampleNewTable() {
	tab, err := keywords.NewTable(keywords.TableConfig{
		Aliases: map[string][]string{
			"IM2PAY":  {"BELI"},
			"BANTUAN": {"HELP"},
		},
		Rules: keywords.Rules{Min: 10_000, Max: 1_000_000}, // any amount in range
	})
	if err != nil {
		panic(err)
	}
	cmd, err := tab.Parse("beli 08110000002 12rb")
	fmt.Println(cmd, err)

	_, err = keywords.NewTable(keywords.TableConfig{
		Aliases: map[string][]string{"SALDO": {"CEK"}, "RIWAYAT": {"CEK"}},
	})
	fmt.Println(errors.Is(err, keywords.ErrAliasCollision))
	// Output:
	// {628110000002 Rp12.000} <nil>
	// true
}

func ExampleParseAmount() {
	for _, s := range []string{"50000", "50.000", "Rp 50.000,-", "50rb", "1,5jt", "1.5jt", "-50000", "1.500jt"} {
		a, err := keywords.ParseAmount(s)
		fmt.Printf("%-12q %v %v\n", s, a, err)
	}
	// Output:
	// "50000"      Rp50.000 <nil>
	// "50.000"     Rp50.000 <nil>
	// "Rp 50.000,-" Rp50.000 <nil>
	// "50rb"       Rp50.000 <nil>
	// "1,5jt"      Rp1.500.000 <nil>
	// "1.5jt"      Rp1.500.000 <nil>
	// "-50000"     Rp0 bad amount: negative amount
	// "1.500jt"    Rp0 bad amount: ambiguous amount
}

func ExampleAmount_Grouped() {
	a := domain.Amount(150_000)
	fmt.Println(a, a.Grouped())
	// Output: Rp150.000 150.000
}

func ExampleFormatAmounts() {
	fmt.Println(domain.FormatAmounts(keywords.DefaultRules().Allowed))
	// Output: 50.000, 75.000, 100.000, 150.000, 300.000 dan 500.000
}

func ExampleNormalizeMSISDN() {
	for _, s := range []string{"08110000002", "+62 811-0000-002", "9779"} {
		canon, err := keywords.NormalizeMSISDN(s)
		fmt.Printf("%q %q %v\n", canon, canon.Local(), err)
	}
	// Output:
	// "628110000002" "08110000002" <nil>
	// "628110000002" "08110000002" <nil>
	// "" "" bad account: not an Indonesian mobile number
}

func ExamplePIN() {
	pin, err := keywords.ParsePIN(" 482915 ", 6, 6)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v %s %q %#v\n", pin, pin, pin, pin)

	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // stable output
			}
			return a
		},
	}))
	log.Info("PIN received", "pin", pin)

	fmt.Println(len(pin.Reveal()))
	// Output:
	// **** **** "****" domain.PIN("****")
	// level=INFO msg="PIN received" pin=****
	// 6
}
