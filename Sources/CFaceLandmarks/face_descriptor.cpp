#include "CFaceLandmarks.h"

#include <dlib/dnn.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <algorithm>
#include <cstring>
#include <exception>

// dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1.dat), exactly as
// dlib's dnn_face_recognition_ex.cpp declares it: the weights only load into this shape.
namespace facenet {
using namespace dlib;

template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;

template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;

template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;

using net_type = loss_metric<fc_no_bias<128, avg_pool_everything<
    alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;
}  // namespace facenet

struct cfl_recognizer {
    dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
    dlib::shape_predictor predictor;
    facenet::net_type net;
};

namespace {

void set_message(char *error, size_t len, const char *message) {
    if (!error || len == 0) return;
    std::strncpy(error, message, len - 1);
    error[len - 1] = 0;
}

// HOG finds faces of about 80 px and up; face crops are often smaller than that.
constexpr long kMinSide = 320;

}  // namespace

extern "C" cfl_recognizer *cfl_recognizer_create(const char *landmarks_path, const char *resnet_path,
                                                 char *error, size_t error_len) {
    if (!landmarks_path || !resnet_path) { set_message(error, error_len, "no model path"); return nullptr; }
    cfl_recognizer *r = nullptr;
    try {
        r = new cfl_recognizer();
        dlib::deserialize(landmarks_path) >> r->predictor;
        dlib::deserialize(resnet_path) >> r->net;
        return r;
    } catch (const std::exception &e) {
        set_message(error, error_len, e.what());
    } catch (...) {
        set_message(error, error_len, "unknown error loading the face models");
    }
    delete r;
    return nullptr;
}

extern "C" void cfl_recognizer_destroy(cfl_recognizer *recognizer) { delete recognizer; }

extern "C" int cfl_face_descriptor(cfl_recognizer *r, const uint8_t *rgb, int width, int height, int stride,
                                   float *out) {
    if (!r || !rgb || !out || width <= 0 || height <= 0 || stride < width * 3) return -1;
    try {
        dlib::matrix<dlib::rgb_pixel> source(height, width);
        for (int y = 0; y < height; ++y) {
            const uint8_t *row = rgb + (size_t)y * stride;
            for (int x = 0; x < width; ++x) source(y, x) = dlib::rgb_pixel(row[3 * x], row[3 * x + 1], row[3 * x + 2]);
        }
        dlib::matrix<dlib::rgb_pixel> image;
        const long shortest = std::min<long>(width, height);
        if (shortest < kMinSide) {
            const double k = (double)kMinSide / shortest;
            image.set_size(std::lround(height * k), std::lround(width * k));
            dlib::resize_image(source, image, dlib::interpolate_bilinear());
        } else {
            image = source;
        }
        std::vector<dlib::rectangle> faces = r->detector(image);
        int found = 1;
        dlib::rectangle box;
        if (faces.empty()) {
            // A crop made around a face (1.8x its box) the detector misses at this size:
            // take the centre, where the face is.
            const long side = std::lround(std::min(image.nr(), image.nc()) / 1.8);
            const long cx = image.nc() / 2, cy = image.nr() / 2;
            box = dlib::rectangle(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2);
            found = 0;
        } else {
            box = *std::max_element(faces.begin(), faces.end(),
                                    [](const dlib::rectangle &a, const dlib::rectangle &b) { return a.area() < b.area(); });
        }
        const dlib::full_object_detection shape = r->predictor(image, box);
        dlib::matrix<dlib::rgb_pixel> chip;
        dlib::extract_image_chip(image, dlib::get_face_chip_details(shape, 150, 0.25), chip);
        const dlib::matrix<float, 0, 1> d = r->net(chip);
        for (long i = 0; i < CFL_DESCRIPTOR_SIZE; ++i) out[i] = d(i);
        return found;
    } catch (...) {
        return -1;
    }
}
