'use strict';
// An ESME built on npm smpp (smpp.connect), used as an independent peer for
// the SMSC under test.
//
// Usage: node esme.js '<json config>'
//   {"host": "127.0.0.1", "port": 2775, "system_id": "esme", "password": "secret",
//    "timeout": 30, "interface_version": 52,
//    "submits": [{"ref": "r", "text": "..", "coding": "gsm7"|"ucs2", "udh_ref": 9,
//                 "payload": false, "kind": "submit_sm"|"data_sm",
//                 "raw_tlvs": [{"tag": 5120, "hex": "07"}],
//                 "source_addr": "..", "source_addr_ton": 5, "source_addr_npi": 0,
//                 "destination_addr": "..", "dest_addr_ton": 1, "dest_addr_npi": 1,
//                 "registered_delivery": 0}]}
//
// Flow: connect, bind_transceiver (interface_version 0x34 unless configured;
// npm smpp's own default would be 0x50); if the bind fails print bind_resp and
// exit 0. Otherwise send the submits in order, one request at a time: a text
// that does not fit one SMS goes as concatenated parts with an 8-bit reference
// UDH, or whole in message_payload if payload; kind data_sm sends one data_sm
// with message_payload. npm smpp encodes the text: GSM 03.38 for gsm7,
// UTF-16BE for ucs2. Then print submits_done. From then on every deliver_sm
// is printed and answered with ESME_ROK; enquire_link and unbind from the
// SMSC are answered. Commands, one JSON object per line on stdin:
//   {"cmd":"enquire_link"}   send enquire_link, print enquire_link_resp
//   {"cmd":"unbind"}         send unbind, print unbind_resp, close, exit 0
// EOF on stdin acts as unbind. After timeout seconds: exit 2.
//
// Events: ready, connected, bind_resp, submit_sm_sent, submit_sm_resp,
// data_sm_resp, submits_done, deliver_sm, enquire_link, enquire_link_resp,
// unbind, unbind_resp, pdu, closed, error, timeout, exit.

const c = require('./common');

const cfg = c.parseConfig();
c.watchdog(cfg.timeout || 30);
const {smpp, version} = c.loadSMPP();
c.captureRaw(smpp);
c.emit({event: 'ready', peer: 'npm smpp', version});

let exiting = false;
let bound = false;

function finish(code) {
	if (exiting) {
		return;
	}
	exiting = true;
	c.emit({event: 'exit'});
	process.exit(code);
}

const session = smpp.connect({host: cfg.host || '127.0.0.1', port: cfg.port}, () => {
	c.emit({event: 'connected'});
	session.bind_transceiver({
		system_id: cfg.system_id,
		password: cfg.password,
		system_type: cfg.system_type || '',
		interface_version: cfg.interface_version === undefined ? 0x34 : cfg.interface_version,
	}, (resp) => {
		const {fields, tlvs} = c.rawFields(smpp, resp._raw);
		c.emit({event: 'bind_resp', seq: resp.sequence_number, status: resp.command_status,
			system_id: fields.system_id === undefined ? null : fields.system_id, tlvs,
			command_length: resp.command_length});
		if (resp.command_status !== smpp.ESME_ROK) {
			session.close(() => finish(0));
			return;
		}
		bound = true;
		submitAll(cfg.submits || [], 0);
	});
});

session.on('error', (e) => c.emit({event: 'error', message: String(e && e.message || e)}));
session.on('close', () => {
	c.emit({event: 'closed'});
	finish(0);
});

// submitAll sends the submits one part at a time, each after the previous resp.
function submitAll(submits, index) {
	if (index >= submits.length) {
		c.emit({event: 'submits_done'});
		return;
	}
	const s = submits[index];
	const coding = s.coding || 'gsm7';
	if (s.kind === 'data_sm') {
		session.data_sm({
			service_type: s.service_type || '',
			source_addr_ton: s.source_addr_ton || 0,
			source_addr_npi: s.source_addr_npi || 0,
			source_addr: s.source_addr || '',
			dest_addr_ton: s.dest_addr_ton || 0,
			dest_addr_npi: s.dest_addr_npi || 0,
			destination_addr: s.destination_addr,
			esm_class: 0x00,
			registered_delivery: s.registered_delivery || 0,
			data_coding: c.codingByte(coding),
			message_payload: c.encode(smpp, s.text, coding),
		}, (resp) => {
			c.emit({event: 'data_sm_resp', ref: s.ref, seq: resp.sequence_number, status: resp.command_status,
				message_id: resp.message_id === undefined ? null : resp.message_id});
			submitAll(submits, index + 1);
		});
		return;
	}
	const parts = s.payload ? [{udh: null, message: s.text}] : c.split(smpp, s.text, coding, s.udh_ref || 1);
	const sendPart = (i) => {
		if (i >= parts.length) {
			submitAll(submits, index + 1);
			return;
		}
		const part = parts[i];
		const opts = {
			service_type: s.service_type || '',
			source_addr_ton: s.source_addr_ton || 0,
			source_addr_npi: s.source_addr_npi || 0,
			source_addr: s.source_addr || '',
			dest_addr_ton: s.dest_addr_ton || 0,
			dest_addr_npi: s.dest_addr_npi || 0,
			destination_addr: s.destination_addr,
			esm_class: 0x00,
			registered_delivery: s.registered_delivery || 0,
			data_coding: c.codingByte(coding),
		};
		if (s.payload) {
			opts.short_message = Buffer.alloc(0);
			opts.message_payload = c.encode(smpp, part.message, coding);
		} else {
			opts.short_message = part.udh ? {udh: part.udh, message: part.message} : {message: part.message};
		}
		Object.assign(opts, c.rawTLVs(smpp, s.raw_tlvs));
		session.submit_sm(opts, (resp) => {
			c.emit({event: 'submit_sm_resp', ref: s.ref, part: i + 1, parts: parts.length, seq: resp.sequence_number,
				status: resp.command_status, message_id: resp.message_id === undefined ? null : resp.message_id});
			sendPart(i + 1);
		}, (sent) => {
			c.emit({event: 'submit_sm_sent', ref: s.ref, part: i + 1, parts: parts.length, seq: sent.sequence_number});
		});
	};
	sendPart(0);
}

session.on('pdu', (pdu) => {
	switch (pdu.command) {
	case 'deliver_sm': {
		const rec = c.messageRecord(smpp, 'deliver_sm', pdu);
		c.emit(rec);
		session.send(pdu.response({message_id: ''}));
		return;
	}
	case 'enquire_link':
		c.emit({event: 'enquire_link', seq: pdu.sequence_number});
		session.send(pdu.response());
		return;
	case 'unbind':
		c.emit({event: 'unbind', seq: pdu.sequence_number});
		bound = false;
		session.send(pdu.response(), () => session.close());
		return;
	default:
		if (pdu.isResponse() && session._callbacks[pdu.sequence_number]) {
			return; // handled by the request's callback
		}
		c.emit({event: 'pdu', command: pdu.command, command_id: pdu.command_id, status: pdu.command_status,
			seq: pdu.sequence_number, hex: c.hex(pdu._raw)});
		if (!pdu.isResponse()) {
			session.send(pdu.response({command_status: smpp.ESME_RINVCMDID}));
		}
	}
});

function unbind() {
	if (!bound) {
		session.close(() => finish(0));
		return;
	}
	bound = false;
	session.unbind((resp) => {
		c.emit({event: 'unbind_resp', seq: resp.sequence_number, status: resp.command_status});
		session.close(() => finish(0));
	});
}

c.lines((line) => {
	let cmd;
	try {
		cmd = JSON.parse(line);
	} catch (e) {
		c.emit({event: 'error', message: 'bad command: ' + e.message});
		return;
	}
	switch (cmd.cmd) {
	case 'enquire_link':
		session.enquire_link((resp) => {
			c.emit({event: 'enquire_link_resp', seq: resp.sequence_number, status: resp.command_status});
		});
		break;
	case 'unbind':
		unbind();
		break;
	default:
		c.emit({event: 'error', message: 'unknown command ' + cmd.cmd});
	}
}, unbind);
