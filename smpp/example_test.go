package smpp_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/smsgw/smsgw/smpp"
	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smpptest"
)

func ExampleClient() {
	// An in-process SMSC stands in for the operator.
	srv := smpptest.NewServer()
	defer srv.Close()

	c, err := smpp.NewClient(smpp.ClientOptions{
		Addr:     srv.Addr(),
		SystemID: "gateway",
		Password: "secret",
		// The handler runs before deliver_sm_resp is written: an error
		// makes the SMSC deliver the message again.
		Handler: smpp.HandlerFunc(func(ctx context.Context, p pdu.PDU) error {
			if d, ok := p.(*pdu.DeliverSM); ok {
				fmt.Printf("MO from %s: %s\n", d.SourceAddr, d.ShortMessage)
			}
			return nil
		}),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }() // binds, rebinds with backoff, unbinds on cancel

	// Submit waits for the bind, then for a window slot and the response.
	resp, err := c.Submit(ctx, &pdu.SubmitSM{MessageFields: pdu.MessageFields{
		SourceAddr:      "4242",
		DestAddrTON:     1,
		DestAddrNPI:     1,
		DestinationAddr: "447700900123",
		ShortMessage:    []byte("Your balance is 12.50"),
	}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("message id:", resp.MessageID)

	st, err := srv.Deliver(ctx, &pdu.DeliverSM{MessageFields: pdu.MessageFields{
		SourceAddr:      "447700900123",
		DestinationAddr: "4242",
		ShortMessage:    []byte("BAL"),
	}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deliver_sm_resp:", st.Name())

	cancel() // graceful unbind
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	// Output:
	// message id: 00000001
	// MO from 447700900123: BAL
	// deliver_sm_resp: ESME_ROK
}
