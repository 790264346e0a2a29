package pdu

// Body encoders and decoders, one pair per PDU type, in §4 field order.

// Header-only PDUs: nothing to write, and any octet after the header is an
// error.

func (*GenericNack) appendBody(*encoder)       {}
func (*GenericNack) decodeBody(d *decoder)     { d.end() }
func (*Unbind) appendBody(*encoder)            {}
func (*Unbind) decodeBody(d *decoder)          { d.end() }
func (*UnbindResp) appendBody(*encoder)        {}
func (*UnbindResp) decodeBody(d *decoder)      { d.end() }
func (*EnquireLink) appendBody(*encoder)       {}
func (*EnquireLink) decodeBody(d *decoder)     { d.end() }
func (*EnquireLinkResp) appendBody(*encoder)   {}
func (*EnquireLinkResp) decodeBody(d *decoder) { d.end() }
func (*CancelSMResp) appendBody(*encoder)      {}
func (*CancelSMResp) decodeBody(d *decoder)    { d.end() }
func (*ReplaceSMResp) appendBody(*encoder)     {}
func (*ReplaceSMResp) decodeBody(d *decoder)   { d.end() }

func (p *Bind) appendBody(e *encoder) {
	e.cstr("system_id", p.SystemID, maxSystemID)
	e.cstr("password", p.Password, maxPassword)
	e.cstr("system_type", p.SystemType, maxSystemType)
	e.u8(p.InterfaceVersion)
	e.u8(p.AddrTON)
	e.u8(p.AddrNPI)
	e.cstr("address_range", p.AddressRange, maxAddrRange)
}

func (p *Bind) decodeBody(d *decoder) {
	p.SystemID = d.cstr("system_id", maxSystemID, StatusInvSysID)
	p.Password = d.cstr("password", maxPassword, StatusInvPassword)
	p.SystemType = d.cstr("system_type", maxSystemType, StatusInvSysType)
	p.InterfaceVersion = d.u8("interface_version")
	p.AddrTON = d.u8("addr_ton")
	p.AddrNPI = d.u8("addr_npi")
	p.AddressRange = d.cstr("address_range", maxAddrRange, StatusBindFail)
	d.end()
}

// bodyless reports whether an error response is sent without a body.
func bodyless(h *Header, empty bool) bool { return h.Status != StatusOK && empty }

func (p *BindResp) appendBody(e *encoder) {
	if bodyless(&p.Header, p.SystemID == "" && len(p.TLVs) == 0) {
		return
	}
	e.cstr("system_id", p.SystemID, maxSystemID)
	e.tlvs(p.TLVs)
}

func (p *BindResp) decodeBody(d *decoder) {
	if d.empty() {
		return
	}
	p.SystemID = d.cstr("system_id", maxSystemID, StatusInvSysID)
	p.TLVs = d.tlvs()
}

func (p *Outbind) appendBody(e *encoder) {
	e.cstr("system_id", p.SystemID, maxSystemID)
	e.cstr("password", p.Password, maxPassword)
}

func (p *Outbind) decodeBody(d *decoder) {
	p.SystemID = d.cstr("system_id", maxSystemID, StatusInvSysID)
	p.Password = d.cstr("password", maxPassword, StatusInvPassword)
	d.end()
}

func (m *MessageFields) appendBody(e *encoder) {
	if e.id == DeliverSMID && m.ESMClass.IsReceipt() {
		e.strict = false
	}
	e.cstr("service_type", m.ServiceType, maxServiceType)
	e.u8(m.SourceAddrTON)
	e.u8(m.SourceAddrNPI)
	e.cstr("source_addr", m.SourceAddr, maxAddr21)
	e.u8(m.DestAddrTON)
	e.u8(m.DestAddrNPI)
	e.cstr("destination_addr", m.DestinationAddr, maxAddr21)
	e.u8(uint8(m.ESMClass))
	e.u8(m.ProtocolID)
	e.u8(m.PriorityFlag)
	e.time("schedule_delivery_time", m.ScheduleDeliveryTime)
	e.time("validity_period", m.ValidityPeriod)
	e.u8(m.RegisteredDelivery)
	e.u8(m.ReplaceIfPresentFlag)
	e.u8(m.DataCoding)
	e.u8(m.SMDefaultMsgID)
	e.shortMessage(m.ShortMessage)
	e.tlvs(m.TLVs)
}

func (m *MessageFields) decodeBody(d *decoder) {
	m.ServiceType = d.cstr("service_type", maxServiceType, StatusInvServiceType)
	m.SourceAddrTON = d.u8("source_addr_ton")
	m.SourceAddrNPI = d.u8("source_addr_npi")
	m.SourceAddr = d.cstr("source_addr", maxAddr21, StatusInvSrcAddr)
	m.DestAddrTON = d.u8("dest_addr_ton")
	m.DestAddrNPI = d.u8("dest_addr_npi")
	m.DestinationAddr = d.cstr("destination_addr", maxAddr21, StatusInvDstAddr)
	m.ESMClass = ESMClass(d.u8("esm_class"))
	m.ProtocolID = d.u8("protocol_id")
	m.PriorityFlag = d.u8("priority_flag")
	m.ScheduleDeliveryTime = d.time("schedule_delivery_time", StatusInvSched)
	m.ValidityPeriod = d.time("validity_period", StatusInvExpiry)
	m.RegisteredDelivery = d.u8("registered_delivery")
	m.ReplaceIfPresentFlag = d.u8("replace_if_present_flag")
	m.DataCoding = d.u8("data_coding")
	m.SMDefaultMsgID = d.u8("sm_default_msg_id")
	m.ShortMessage = d.shortMessage()
	if d.id == DeliverSMID && m.ESMClass.IsReceipt() {
		d.strict = false
	}
	m.TLVs = d.tlvs()
}

func (p *SubmitSM) appendBody(e *encoder)  { p.MessageFields.appendBody(e) }
func (p *SubmitSM) decodeBody(d *decoder)  { p.MessageFields.decodeBody(d) }
func (p *DeliverSM) appendBody(e *encoder) { p.MessageFields.appendBody(e) }
func (p *DeliverSM) decodeBody(d *decoder) { p.MessageFields.decodeBody(d) }

func (p *SubmitSMResp) appendBody(e *encoder) {
	if bodyless(&p.Header, p.MessageID == "" && len(p.TLVs) == 0) {
		return
	}
	e.cstr("message_id", p.MessageID, maxMessageID)
	e.tlvs(p.TLVs)
}

func (p *SubmitSMResp) decodeBody(d *decoder) {
	if d.empty() {
		return
	}
	p.MessageID = d.cstr("message_id", maxMessageID, StatusInvMsgID)
	p.TLVs = d.tlvs()
}

func (p *DeliverSMResp) appendBody(e *encoder) {
	if bodyless(&p.Header, p.MessageID == "" && len(p.TLVs) == 0) {
		return
	}
	// message_id is C(1) in §4.6.2, but some SMSCs and ESMEs fill it in;
	// accept up to the C(65) of the other responses so it round-trips.
	e.cstr("message_id", p.MessageID, maxMessageID)
	e.tlvs(p.TLVs)
}

func (p *DeliverSMResp) decodeBody(d *decoder) {
	if d.empty() {
		return
	}
	p.MessageID = d.cstr("message_id", maxMessageID, StatusInvMsgID)
	p.TLVs = d.tlvs()
}

func (p *DataSM) appendBody(e *encoder) {
	e.cstr("service_type", p.ServiceType, maxServiceType)
	e.u8(p.SourceAddrTON)
	e.u8(p.SourceAddrNPI)
	e.cstr("source_addr", p.SourceAddr, maxAddr65)
	e.u8(p.DestAddrTON)
	e.u8(p.DestAddrNPI)
	e.cstr("destination_addr", p.DestinationAddr, maxAddr65)
	e.u8(uint8(p.ESMClass))
	e.u8(p.RegisteredDelivery)
	e.u8(p.DataCoding)
	e.tlvs(p.TLVs)
}

func (p *DataSM) decodeBody(d *decoder) {
	p.ServiceType = d.cstr("service_type", maxServiceType, StatusInvServiceType)
	p.SourceAddrTON = d.u8("source_addr_ton")
	p.SourceAddrNPI = d.u8("source_addr_npi")
	p.SourceAddr = d.cstr("source_addr", maxAddr65, StatusInvSrcAddr)
	p.DestAddrTON = d.u8("dest_addr_ton")
	p.DestAddrNPI = d.u8("dest_addr_npi")
	p.DestinationAddr = d.cstr("destination_addr", maxAddr65, StatusInvDstAddr)
	p.ESMClass = ESMClass(d.u8("esm_class"))
	p.RegisteredDelivery = d.u8("registered_delivery")
	p.DataCoding = d.u8("data_coding")
	p.TLVs = d.tlvs()
}

func (p *DataSMResp) appendBody(e *encoder) {
	if bodyless(&p.Header, p.MessageID == "" && len(p.TLVs) == 0) {
		return
	}
	e.cstr("message_id", p.MessageID, maxMessageID)
	e.tlvs(p.TLVs)
}

func (p *DataSMResp) decodeBody(d *decoder) {
	if d.empty() {
		return
	}
	p.MessageID = d.cstr("message_id", maxMessageID, StatusInvMsgID)
	p.TLVs = d.tlvs()
}

func (p *QuerySM) appendBody(e *encoder) {
	e.cstr("message_id", p.MessageID, maxMessageID)
	e.u8(p.SourceAddrTON)
	e.u8(p.SourceAddrNPI)
	e.cstr("source_addr", p.SourceAddr, maxAddr21)
}

func (p *QuerySM) decodeBody(d *decoder) {
	p.MessageID = d.cstr("message_id", maxMessageID, StatusInvMsgID)
	p.SourceAddrTON = d.u8("source_addr_ton")
	p.SourceAddrNPI = d.u8("source_addr_npi")
	p.SourceAddr = d.cstr("source_addr", maxAddr21, StatusInvSrcAddr)
	d.end()
}

func (p *QuerySMResp) appendBody(e *encoder) {
	if bodyless(&p.Header, p.MessageID == "" && p.FinalDate == "" && p.MessageState == 0 && p.ErrorCode == 0) {
		return
	}
	e.cstr("message_id", p.MessageID, maxMessageID)
	e.time("final_date", p.FinalDate)
	e.u8(p.MessageState)
	e.u8(p.ErrorCode)
}

func (p *QuerySMResp) decodeBody(d *decoder) {
	if d.empty() {
		return
	}
	p.MessageID = d.cstr("message_id", maxMessageID, StatusInvMsgID)
	p.FinalDate = d.time("final_date", StatusInvMsgLen)
	p.MessageState = d.u8("message_state")
	p.ErrorCode = d.u8("error_code")
	d.end()
}

func (p *CancelSM) appendBody(e *encoder) {
	e.cstr("service_type", p.ServiceType, maxServiceType)
	e.cstr("message_id", p.MessageID, maxMessageID)
	e.u8(p.SourceAddrTON)
	e.u8(p.SourceAddrNPI)
	e.cstr("source_addr", p.SourceAddr, maxAddr21)
	e.u8(p.DestAddrTON)
	e.u8(p.DestAddrNPI)
	e.cstr("destination_addr", p.DestinationAddr, maxAddr21)
}

func (p *CancelSM) decodeBody(d *decoder) {
	p.ServiceType = d.cstr("service_type", maxServiceType, StatusInvServiceType)
	p.MessageID = d.cstr("message_id", maxMessageID, StatusInvMsgID)
	p.SourceAddrTON = d.u8("source_addr_ton")
	p.SourceAddrNPI = d.u8("source_addr_npi")
	p.SourceAddr = d.cstr("source_addr", maxAddr21, StatusInvSrcAddr)
	p.DestAddrTON = d.u8("dest_addr_ton")
	p.DestAddrNPI = d.u8("dest_addr_npi")
	p.DestinationAddr = d.cstr("destination_addr", maxAddr21, StatusInvDstAddr)
	d.end()
}

func (p *ReplaceSM) appendBody(e *encoder) {
	e.cstr("message_id", p.MessageID, maxMessageID)
	e.u8(p.SourceAddrTON)
	e.u8(p.SourceAddrNPI)
	e.cstr("source_addr", p.SourceAddr, maxAddr21)
	e.time("schedule_delivery_time", p.ScheduleDeliveryTime)
	e.time("validity_period", p.ValidityPeriod)
	e.u8(p.RegisteredDelivery)
	e.u8(p.SMDefaultMsgID)
	e.shortMessage(p.ShortMessage)
}

func (p *ReplaceSM) decodeBody(d *decoder) {
	p.MessageID = d.cstr("message_id", maxMessageID, StatusInvMsgID)
	p.SourceAddrTON = d.u8("source_addr_ton")
	p.SourceAddrNPI = d.u8("source_addr_npi")
	p.SourceAddr = d.cstr("source_addr", maxAddr21, StatusInvSrcAddr)
	p.ScheduleDeliveryTime = d.time("schedule_delivery_time", StatusInvSched)
	p.ValidityPeriod = d.time("validity_period", StatusInvExpiry)
	p.RegisteredDelivery = d.u8("registered_delivery")
	p.SMDefaultMsgID = d.u8("sm_default_msg_id")
	p.ShortMessage = d.shortMessage()
	d.end()
}

func (p *SubmitMulti) appendBody(e *encoder) {
	e.cstr("service_type", p.ServiceType, maxServiceType)
	e.u8(p.SourceAddrTON)
	e.u8(p.SourceAddrNPI)
	e.cstr("source_addr", p.SourceAddr, maxAddr21)
	if len(p.Dests) > maxDests {
		e.fail("number_of_dests", ErrInvalidValue)
		return
	}
	e.u8(uint8(len(p.Dests)))
	for i := range p.Dests {
		da := &p.Dests[i]
		e.u8(da.Flag)
		switch da.Flag {
		case DestFlagSME:
			if da.DLName != "" {
				e.fail("dl_name", ErrInvalidValue)
				return
			}
			e.u8(da.TON)
			e.u8(da.NPI)
			e.cstr("destination_addr", da.Addr, maxAddr21)
		case DestFlagDistribution:
			if da.Addr != "" || da.TON != 0 || da.NPI != 0 {
				e.fail("destination_addr", ErrInvalidValue)
				return
			}
			e.cstr("dl_name", da.DLName, maxAddr21)
		default:
			e.fail("dest_flag", ErrInvalidValue)
			return
		}
	}
	e.u8(uint8(p.ESMClass))
	e.u8(p.ProtocolID)
	e.u8(p.PriorityFlag)
	e.time("schedule_delivery_time", p.ScheduleDeliveryTime)
	e.time("validity_period", p.ValidityPeriod)
	e.u8(p.RegisteredDelivery)
	e.u8(p.ReplaceIfPresentFlag)
	e.u8(p.DataCoding)
	e.u8(p.SMDefaultMsgID)
	e.shortMessage(p.ShortMessage)
	e.tlvs(p.TLVs)
}

func (p *SubmitMulti) decodeBody(d *decoder) {
	p.ServiceType = d.cstr("service_type", maxServiceType, StatusInvServiceType)
	p.SourceAddrTON = d.u8("source_addr_ton")
	p.SourceAddrNPI = d.u8("source_addr_npi")
	p.SourceAddr = d.cstr("source_addr", maxAddr21, StatusInvSrcAddr)
	n := int(d.u8("number_of_dests"))
	if d.err == nil && n > maxDests {
		d.fail("number_of_dests", StatusInvNumDests, ErrInvalidValue)
	}
	if d.err != nil {
		return
	}
	if n > 0 {
		p.Dests = make([]DestAddress, 0, min(n, (len(d.buf)-d.off)/2))
	}
	for range n {
		var da DestAddress
		da.Flag = d.u8("dest_flag")
		switch {
		case d.err != nil:
			return
		case da.Flag == DestFlagSME:
			da.TON = d.u8("dest_addr_ton")
			da.NPI = d.u8("dest_addr_npi")
			da.Addr = d.cstr("destination_addr", maxAddr21, StatusInvDstAddr)
		case da.Flag == DestFlagDistribution:
			da.DLName = d.cstr("dl_name", maxAddr21, StatusInvDLName)
		default:
			d.fail("dest_flag", StatusInvDestFlag, ErrInvalidValue)
			return
		}
		p.Dests = append(p.Dests, da)
	}
	p.ESMClass = ESMClass(d.u8("esm_class"))
	p.ProtocolID = d.u8("protocol_id")
	p.PriorityFlag = d.u8("priority_flag")
	p.ScheduleDeliveryTime = d.time("schedule_delivery_time", StatusInvSched)
	p.ValidityPeriod = d.time("validity_period", StatusInvExpiry)
	p.RegisteredDelivery = d.u8("registered_delivery")
	p.ReplaceIfPresentFlag = d.u8("replace_if_present_flag")
	p.DataCoding = d.u8("data_coding")
	p.SMDefaultMsgID = d.u8("sm_default_msg_id")
	p.ShortMessage = d.shortMessage()
	p.TLVs = d.tlvs()
}

func (p *SubmitMultiResp) appendBody(e *encoder) {
	if bodyless(&p.Header, p.MessageID == "" && len(p.Unsuccess) == 0) {
		return
	}
	e.cstr("message_id", p.MessageID, maxMessageID)
	if len(p.Unsuccess) > maxUnsuccess {
		e.fail("no_unsuccess", ErrInvalidValue)
		return
	}
	e.u8(uint8(len(p.Unsuccess)))
	for i := range p.Unsuccess {
		u := &p.Unsuccess[i]
		e.u8(u.TON)
		e.u8(u.NPI)
		e.cstr("destination_addr", u.Addr, maxAddr21)
		e.u32(uint32(u.Status))
	}
}

func (p *SubmitMultiResp) decodeBody(d *decoder) {
	if d.empty() {
		return
	}
	p.MessageID = d.cstr("message_id", maxMessageID, StatusInvMsgID)
	n := int(d.u8("no_unsuccess"))
	if d.err != nil {
		return
	}
	if n > 0 {
		p.Unsuccess = make([]UnsuccessSME, 0, min(n, (len(d.buf)-d.off)/7))
	}
	for range n {
		var u UnsuccessSME
		u.TON = d.u8("dest_addr_ton")
		u.NPI = d.u8("dest_addr_npi")
		u.Addr = d.cstr("destination_addr", maxAddr21, StatusInvDstAddr)
		u.Status = Status(d.u32("error_status_code"))
		if d.err != nil {
			return
		}
		p.Unsuccess = append(p.Unsuccess, u)
	}
	d.end()
}

func (p *AlertNotification) appendBody(e *encoder) {
	e.u8(p.SourceAddrTON)
	e.u8(p.SourceAddrNPI)
	e.cstr("source_addr", p.SourceAddr, maxAddr65)
	e.u8(p.ESMEAddrTON)
	e.u8(p.ESMEAddrNPI)
	e.cstr("esme_addr", p.ESMEAddr, maxAddr65)
	e.tlvs(p.TLVs)
}

func (p *AlertNotification) decodeBody(d *decoder) {
	p.SourceAddrTON = d.u8("source_addr_ton")
	p.SourceAddrNPI = d.u8("source_addr_npi")
	p.SourceAddr = d.cstr("source_addr", maxAddr65, StatusInvSrcAddr)
	p.ESMEAddrTON = d.u8("esme_addr_ton")
	p.ESMEAddrNPI = d.u8("esme_addr_npi")
	p.ESMEAddr = d.cstr("esme_addr", maxAddr65, StatusInvDstAddr)
	p.TLVs = d.tlvs()
}
