package smsc_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"time"

	"github.com/smsgw/smsgw/smpp/pdu"
	"github.com/smsgw/smsgw/smpp/smsc"
)

// ExampleServer runs an SMSC and drives it with a bare-bones ESME built
// on the codec alone: bind, submit a message that asks for a delivery
// receipt, read the response and the receipt, then receive an MO injected
// with DeliverText.
func ExampleServer() {
	srv := &smsc.Server{}
	srv.Credentials = map[string]string{"gateway": "secret"}
	srv.Now = func() time.Time { return time.Date(2024, 1, 15, 12, 30, 0, 0, time.UTC) }
	srv.Start()
	defer srv.Close()

	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	send := func(p pdu.PDU) {
		b, err := pdu.Marshal(p)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := nc.Write(b); err != nil {
			log.Fatal(err)
		}
	}
	recv := func() pdu.PDU {
		f, err := pdu.ReadFrame(nc, 0)
		if err != nil {
			log.Fatal(err)
		}
		p, err := pdu.Decode(f)
		if err != nil {
			log.Fatal(err)
		}
		return p
	}

	send(&pdu.Bind{Header: pdu.Header{ID: pdu.BindTransceiverID, Seq: 1},
		SystemID: "gateway", Password: "secret", InterfaceVersion: 0x34})
	fmt.Println("bind:", recv().Hdr().Status)

	sm := &pdu.SubmitSM{Header: pdu.Header{Seq: 2}}
	sm.SourceAddr, sm.DestinationAddr = "123", "447700900123"
	sm.RegisteredDelivery = 1
	sm.ShortMessage = []byte("Your balance is 10")
	send(sm)
	fmt.Println("submit_sm_resp:", recv().(*pdu.SubmitSMResp).MessageID)

	receipt := recv().(*pdu.DeliverSM)
	send(&pdu.DeliverSMResp{Header: pdu.Header{ID: pdu.DeliverSMRespID, Seq: receipt.Seq}})
	fmt.Printf("receipt: %s\n", receipt.ShortMessage)

	subs, err := srv.WaitSubmitted(context.Background(), 1)
	if err != nil {
		log.Fatal(err)
	}
	text, _ := subs[0].Text()
	fmt.Printf("recorded: %s -> %s %q\n", subs[0].SystemID, subs[0].Destination(), text)

	// The ESME side answers the MO the SMSC injects.
	go func() {
		mo := recv().(*pdu.DeliverSM)
		fmt.Printf("MO from %s: %s\n", mo.SourceAddr, mo.ShortMessage)
		send(&pdu.DeliverSMResp{Header: pdu.Header{ID: pdu.DeliverSMRespID, Seq: mo.Seq}})
	}()
	statuses, err := srv.DeliverText(context.Background(), "447700900123", "123", "BAL", nil)
	fmt.Println("deliver_sm_resp:", statuses, err)

	// Output:
	// bind: ESME_ROK (0x00000000)
	// submit_sm_resp: 00000001
	// receipt: id:00000001 sub:001 dlvrd:001 submit date:2401151230 done date:2401151230 stat:DELIVRD err:000 text:Your balance is 10
	// recorded: gateway -> 447700900123 "Your balance is 10"
	// MO from 447700900123: BAL
	// deliver_sm_resp: [ESME_ROK (0x00000000)] <nil>
}
