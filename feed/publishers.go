package feed

// Publishers hands every batch to each of its publishers in turn, e.g. the
// local Hub and a cluster's broker.
type Publishers []Publisher

// Publish implements Publisher.
func (ps Publishers) Publish(batch []Quote) {
	for _, p := range ps {
		p.Publish(batch)
	}
}

var _ Publisher = Publishers(nil)
