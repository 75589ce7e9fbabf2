// dlib's shape predictor (an ensemble of regression trees, Kazemi & Sullivan 2014) evaluated
// from a flat copy of its model. dlib keeps every leaf as its own heap vector reached through
// its tree, and adds it one float at a time: with a 95 MB model, each of the 5,000 leaves a
// fit reads is two dependent cache misses, and perf put ~85% of a fit there. Here the leaves
// of a cascade level are one array, each tree's leaf is chosen first (the features do not
// change within a level), and the chosen leaves are prefetched a few trees ahead while they
// are summed. The sums are the same floats in the same order: the points are dlib's, exactly.
#pragma once

#include <dlib/image_processing.h>

#include <cstdint>
#include <istream>
#include <vector>

namespace cfl {

class ShapeFit {
public:
    // Reads dlib's shape_predictor file format (version 1); throws dlib::serialization_error.
    explicit ShapeFit(std::istream &in);

    // What dlib::shape_predictor's operator() returns for the same model, image and box.
    dlib::full_object_detection operator()(const dlib::array2d<unsigned char> &image, const dlib::rectangle &box) const;

private:
    struct Split {
        uint32_t first, second;
        float threshold;
    };
    struct Level {
        std::vector<unsigned long> anchors;
        std::vector<dlib::vector<float, 2>> deltas;
        std::vector<Split> splits;  // splitsPerTree per tree, in dlib's heap order
        std::vector<float> leaves;  // (splitsPerTree + 1) leaves of `dimensions` floats per tree
        size_t trees = 0, splitsPerTree = 0;
    };
    dlib::matrix<float, 0, 1> initial;
    std::vector<Level> levels;
    size_t dimensions = 0;
};

}  // namespace cfl
