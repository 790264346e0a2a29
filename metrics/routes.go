package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsgw/smsgw/esme"
)

var _ esme.TrafficObserver = (*Metrics)(nil)

// Traffic counts an MO received or an MT sent over bind of route
// (operator); it implements esme.TrafficObserver. Operators and binds come
// from configuration.
func (m *Metrics) Traffic(route, bind, direction string) {
	m.routeMsgs.WithLabelValues(route, bind, direction).Inc()
}

// Routes registers the figures of the operators and their binds, read at
// scrape time: binds gives each bind's state and load and each operator's
// state, backlog the MTs queued per operator.
func (m *Metrics) Routes(reg prometheus.Registerer, binds func() ([]esme.BindStatus, []esme.RouteStatus), backlog func() map[string]int) {
	reg.MustRegister(routeCollector{binds: binds, backlog: backlog})
}

var (
	descBindUp = prometheus.NewDesc("smsgw_route_bind_up",
		"1 when the bind can carry traffic (bound, not suspended), by operator and bind.", []string{"operator", "bind"}, nil)
	descBindWindow = prometheus.NewDesc("smsgw_route_bind_window_in_use",
		"Submits waiting for their response, by operator and bind.", []string{"operator", "bind"}, nil)
	descBindThrottled = prometheus.NewDesc("smsgw_route_bind_throttled",
		"1 while the bind's submits wait: paused after the SMSC throttled them, or held by its rate limit.", []string{"operator", "bind"}, nil)
	descBindThrottles = prometheus.NewDesc("smsgw_route_bind_throttles_total",
		"ESME_RTHROTTLED and ESME_RMSGQFUL answers from the SMSC, by operator and bind.", []string{"operator", "bind"}, nil)
	descRouteUp = prometheus.NewDesc("smsgw_route_binds_up",
		"Binds of the operator that can carry traffic.", []string{"operator"}, nil)
	descRouteHeld = prometheus.NewDesc("smsgw_route_held",
		"1 while the operator's MTs wait in the outbox: none of its binds, nor its fallback's, is up.", []string{"operator"}, nil)
	descBacklog = prometheus.NewDesc("smsgw_outbox_backlog",
		"MTs queued in the outbox by operator.", []string{"operator"}, nil)
)

type routeCollector struct {
	binds   func() ([]esme.BindStatus, []esme.RouteStatus)
	backlog func() map[string]int
}

func (c routeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBindUp, descBindWindow, descBindThrottled, descBindThrottles, descRouteUp, descRouteHeld, descBacklog} {
		ch <- d
	}
}

func (c routeCollector) Collect(ch chan<- prometheus.Metric) {
	binds, routes := c.binds()
	for _, b := range binds {
		ch <- prometheus.MustNewConstMetric(descBindUp, prometheus.GaugeValue, boolValue(b.Bound), b.Route, b.Name)
		ch <- prometheus.MustNewConstMetric(descBindWindow, prometheus.GaugeValue, float64(b.InUse), b.Route, b.Name)
		ch <- prometheus.MustNewConstMetric(descBindThrottled, prometheus.GaugeValue, boolValue(b.Throttled), b.Route, b.Name)
		ch <- prometheus.MustNewConstMetric(descBindThrottles, prometheus.CounterValue, float64(b.ThrottledTotal), b.Route, b.Name)
	}
	backlog := c.backlog()
	for _, r := range routes {
		ch <- prometheus.MustNewConstMetric(descRouteUp, prometheus.GaugeValue, float64(r.Up), r.Name)
		ch <- prometheus.MustNewConstMetric(descRouteHeld, prometheus.GaugeValue, boolValue(r.Held), r.Name)
		ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(backlog[r.Name]), r.Name)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
