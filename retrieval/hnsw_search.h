// FastHnswSearch: faiss 1.7.3's IndexHNSW::search for one inner-product query over FastFlatIP
// storage (retrieval/vector_distance.h), with the stored vectors fetched ahead of their distances.
//
// Why: at 100k x 512-d rows the graph walk is bound by memory, not arithmetic: each distance reads
// a 2 KB row from DRAM, and Faiss reads them one after another (69% of a search's CPU sat in the
// dot product's loads, perf). This walk is Faiss's own (greedy descent through the upper levels,
// then the bounded-queue best-first search at level 0 with max(efSearch, k) candidates and the
// relative-distance stop), visiting the same nodes in the same order, so the results are the same;
// but when it expands a node it first collects the node's unvisited neighbours, then prefetches
// each row two distances before it is needed, so several rows are in flight at once.
//
// Applies only to the configuration ragd builds (upper_beam 1, bounded queue, relative-distance
// check, FastFlatIP storage); otherwise it returns false and the caller uses index.search.
//
// Thread safety: reentrant; concurrent calls on one index are safe (read-only).
#pragma once

#include <faiss/IndexHNSW.h>

namespace ragd {

// k results best first in `distances` (inner products) and `labels` (storage positions; -1 and
// -inf past the end). False when the index is not of the supported configuration.
bool FastHnswSearch(const faiss::IndexHNSW& index, const float* query, faiss::Index::idx_t k,
                    float* distances, faiss::Index::idx_t* labels);

}  // namespace ragd
