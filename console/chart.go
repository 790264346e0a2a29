package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/smsgw/smsgw/smsgw"
)

// chart is the MO/MT per minute chart of the dashboard, drawn as inline
// SVG by the template from these precomputed coordinates.
type chart struct {
	Width, Height int
	Left, Bottom  int    // plot origin in SVG units
	MO, MT        string // polyline points
	Max           int    // the value at the top of the plot
	TotalMO       int
	TotalMT       int
	Minutes       int
	XLabels       []chartLabel
	Bars          []chartBar // one hover target per minute
}

type chartLabel struct {
	X    int
	Text string
}

type chartBar struct {
	X, W   float64
	Title  string
	Height int
}

// Chart geometry in SVG units.
const (
	chartWidth  = 720
	chartHeight = 180
	chartLeft   = 40
	chartTop    = 10
	chartBottom = 150
	chartRight  = 710
)

// newChart lays out the minutes [from, from+minutes) of points, which are
// sorted and may skip empty minutes.
func newChart(points []smsgw.TrafficPoint, from time.Time, minutes int, loc *time.Location) *chart {
	mo := make([]int, minutes)
	mt := make([]int, minutes)
	c := &chart{Width: chartWidth, Height: chartHeight, Left: chartLeft, Bottom: chartBottom, Minutes: minutes}
	for _, p := range points {
		i := int(p.Minute.Sub(from) / time.Minute)
		if i < 0 || i >= minutes {
			continue
		}
		mo[i], mt[i] = p.MO, p.MT
		c.TotalMO += p.MO
		c.TotalMT += p.MT
	}
	c.Max = 1
	for i := range minutes {
		c.Max = max(c.Max, mo[i], mt[i])
	}
	// Round the scale up to 1, 2 or 5 times a power of ten.
	for step := 1; ; step *= 10 {
		if m := pickScale(c.Max, step); m > 0 {
			c.Max = m
			break
		}
	}
	plotW := float64(chartRight - chartLeft)
	dx := plotW / float64(max(minutes-1, 1))
	x := func(i int) float64 { return float64(chartLeft) + float64(i)*dx }
	y := func(v int) float64 {
		return float64(chartBottom) - float64(v)/float64(c.Max)*float64(chartBottom-chartTop)
	}
	var a, b strings.Builder
	for i := range minutes {
		if i > 0 {
			a.WriteByte(' ')
			b.WriteByte(' ')
		}
		a.WriteString(coord(x(i)) + "," + coord(y(mo[i])))
		b.WriteString(coord(x(i)) + "," + coord(y(mt[i])))
		t := from.Add(time.Duration(i) * time.Minute).In(loc)
		c.Bars = append(c.Bars, chartBar{
			X: x(i) - dx/2, W: dx, Height: chartBottom - chartTop,
			Title: t.Format("15:04") + "  MO " + strconv.Itoa(mo[i]) + "  MT " + strconv.Itoa(mt[i]),
		})
	}
	c.MO, c.MT = a.String(), b.String()
	every := max(minutes/6, 1)
	for i := 0; i < minutes; i += every {
		c.XLabels = append(c.XLabels, chartLabel{X: int(x(i)), Text: from.Add(time.Duration(i) * time.Minute).In(loc).Format("15:04")})
	}
	return c
}

func pickScale(v, step int) int {
	for _, m := range []int{1, 2, 5, 10} {
		if v <= m*step {
			return m * step
		}
	}
	return 0
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
