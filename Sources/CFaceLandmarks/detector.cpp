#include "CFaceLandmarks.h"
#include "shape_fit.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <vector>

struct cfl_detector {
    dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
    std::unique_ptr<cfl::ShapeFit> predictor;  // dlib's model, evaluated ~2.8x faster (shape_fit.h)
    dlib::array2d<unsigned char> grey;  // reused between calls: no allocation per frame
};

namespace {

inline unsigned luma(const uint8_t *p) { return (p[0] * 77u + p[1] * 150u + p[2] * 29u) >> 8; }

// Area-averaging shrink of a region of an RGB24 (channels 3) or grey (channels 1) image
// into grey. Averaging (not point sampling) keeps HOG gradients stable between frames.
// A scale above 1 enlarges the region bilinearly instead (small faces, see cfl_detect_region).
void shrink_to_grey(const uint8_t *pixels, int channels, int stride, int x0, int y0, int w, int h, double scale,
                    dlib::array2d<unsigned char> &out) {
    const int ow = std::max(1, (int)std::lround(w * scale));
    const int oh = std::max(1, (int)std::lround(h * scale));
    out.set_size(oh, ow);
    auto at = [&](int x, int y) -> unsigned {
        const uint8_t *p = pixels + (size_t)(y0 + y) * stride + (size_t)(x0 + x) * channels;
        return channels == 1 ? *p : luma(p);
    };
    if (ow == w && oh == h && channels == 1) {
        // Same size (the landmark fit's crop): rows as they are, not a one-pixel average each.
        for (int y = 0; y < h; ++y) std::memcpy(&out[y][0], pixels + (size_t)(y0 + y) * stride + x0, w);
        return;
    }
    if (ow > w || oh > h) {
        for (int oy = 0; oy < oh; ++oy) {
            const double fy = std::max(0.0, (oy + 0.5) * h / oh - 0.5);
            const int ya = std::min(h - 1, (int)fy), yb = std::min(h - 1, ya + 1);
            const unsigned wy = (unsigned)((fy - ya) * 256);
            for (int ox = 0; ox < ow; ++ox) {
                const double fx = std::max(0.0, (ox + 0.5) * w / ow - 0.5);
                const int xa = std::min(w - 1, (int)fx), xb = std::min(w - 1, xa + 1);
                const unsigned wx = (unsigned)((fx - xa) * 256);
                const unsigned top = at(xa, ya) * (256 - wx) + at(xb, ya) * wx;
                const unsigned bottom = at(xa, yb) * (256 - wx) + at(xb, yb) * wx;
                out[oy][ox] = (unsigned char)((top * (256 - wy) + bottom * wy) >> 16);
            }
        }
        return;
    }
    std::vector<int> xs(ow + 1);
    for (int i = 0; i <= ow; ++i) xs[i] = std::min(w, (int)((long long)i * w / ow));
    for (int oy = 0; oy < oh; ++oy) {
        const int sy0 = (int)((long long)oy * h / oh);
        const int sy1 = std::max(sy0 + 1, (int)((long long)(oy + 1) * h / oh));
        for (int ox = 0; ox < ow; ++ox) {
            const int sx0 = xs[ox], sx1 = std::max(sx0 + 1, xs[ox + 1]);
            unsigned sum = 0, n = 0;
            for (int sy = sy0; sy < sy1; ++sy) {
                const uint8_t *row = pixels + (size_t)(y0 + sy) * stride + (size_t)(x0 + sx0) * channels;
                if (channels == 1) {
                    for (int sx = sx0; sx < sx1; ++sx, ++row) { sum += *row; ++n; }
                } else {
                    for (int sx = sx0; sx < sx1; ++sx, row += 3) { sum += luma(row); ++n; }
                }
            }
            out[oy][ox] = (unsigned char)(sum / n);
        }
    }
}

void set_error(char *error, size_t len, const char *message) {
    if (!error || len == 0) return;
    std::strncpy(error, message, len - 1);
    error[len - 1] = 0;
}

}  // namespace

extern "C" cfl_detector *cfl_create(const char *model_path, char *error, size_t error_len) {
    if (!model_path) { set_error(error, error_len, "no model path"); return nullptr; }
    try {
        std::ifstream in(model_path, std::ios::binary);
        if (!in) throw dlib::serialization_error(std::string("Unable to open ") + model_path + " for reading.");
        auto predictor = std::make_unique<cfl::ShapeFit>(in);
        auto *d = new cfl_detector();
        d->predictor = std::move(predictor);
        return d;
    } catch (const std::exception &e) {
        set_error(error, error_len, e.what());
    } catch (...) {
        set_error(error, error_len, "unknown error loading the shape predictor");
    }
    return nullptr;
}

extern "C" void cfl_destroy(cfl_detector *detector) { delete detector; }

namespace {

int detect(cfl_detector *d, const uint8_t *pixels, int channels, int width, int height, int stride, int rx, int ry,
           int rw, int rh, double scale, double threshold, cfl_face *out, int max_faces) {
    if (!d || !pixels || width <= 0 || height <= 0 || stride < width * channels || !(scale > 0 && scale <= 4)) return -1;
    // Clip the region to the image (a region around a face may hang over an edge).
    const int rx1 = std::min(width, rx + rw), ry1 = std::min(height, ry + rh);
    rx = std::max(0, rx); ry = std::max(0, ry);
    rw = rx1 - rx; rh = ry1 - ry;
    if (rw <= 0 || rh <= 0) return -1;
    try {
        shrink_to_grey(pixels, channels, stride, rx, ry, rw, rh, scale, d->grey);
        std::vector<dlib::rect_detection> found;
        d->detector(d->grey, found, threshold);
        std::sort(found.begin(), found.end(),
                  [](const dlib::rect_detection &a, const dlib::rect_detection &b) {
                      return a.detection_confidence > b.detection_confidence;
                  });
        const double sx = (double)rw / d->grey.nc(), sy = (double)rh / d->grey.nr();
        int n = 0;
        for (const auto &f : found) {
            if (f.detection_confidence < threshold) continue;
            if (n < max_faces && out) {
                const long l = rx + std::lround(f.rect.left() * sx), t = ry + std::lround(f.rect.top() * sy);
                const long r = rx + std::lround((f.rect.right() + 1) * sx), b = ry + std::lround((f.rect.bottom() + 1) * sy);
                // Boxes may hang over the edge of the frame; clip to the image.
                const long cl = std::max(0L, l), ct = std::max(0L, t);
                const long cr = std::min((long)width, r), cb = std::min((long)height, b);
                out[n] = cfl_face{(int)cl, (int)ct, (int)std::max(0L, cr - cl), (int)std::max(0L, cb - ct),
                                  f.detection_confidence};
            }
            ++n;
        }
        return n;
    } catch (...) {
        return -1;
    }
}

// The fit of `box` by `predictor` (the detector's ShapeFit, or dlib's own for the reference)
// on a grey crop of the box and a margin, converted into `grey`.
template <typename Predictor>
int fit_landmarks(const Predictor &predictor, dlib::array2d<unsigned char> &grey, const uint8_t *pixels, int channels,
                  int width, int height, int stride, cfl_face box, cfl_point *out) {
    if (!pixels || !out || width <= 0 || height <= 0 || stride < width * channels || box.width <= 0 || box.height <= 0)
        return -1;
    try {
        // Only a margin around the box is converted: the predictor looks inside the box.
        const int mx = box.width / 2, my = box.height / 2;
        const int x0 = std::max(0, box.x - mx), y0 = std::max(0, box.y - my);
        const int x1 = std::min(width, box.x + box.width + mx), y1 = std::min(height, box.y + box.height + my);
        if (x1 <= x0 || y1 <= y0) return -1;
        shrink_to_grey(pixels, channels, stride, x0, y0, x1 - x0, y1 - y0, 1.0, grey);
        const dlib::rectangle rect(box.x - x0, box.y - y0, box.x - x0 + box.width - 1, box.y - y0 + box.height - 1);
        const dlib::full_object_detection shape = predictor(grey, rect);
        if (shape.num_parts() != CFL_LANDMARK_COUNT) return -1;
        for (unsigned i = 0; i < CFL_LANDMARK_COUNT; ++i) {
            out[i] = cfl_point{(float)(shape.part(i).x() + x0), (float)(shape.part(i).y() + y0)};
        }
        return 0;
    } catch (...) {
        return -1;
    }
}

int landmarks(cfl_detector *d, const uint8_t *pixels, int channels, int width, int height, int stride,
              cfl_face box, cfl_point *out) {
    if (!d) return -1;
    return fit_landmarks(*d->predictor, d->grey, pixels, channels, width, height, stride, box, out);
}

}  // namespace

extern "C" int cfl_detect(cfl_detector *d, const uint8_t *rgb, int width, int height, int stride,
                          double scale, double threshold, cfl_face *out, int max_faces) {
    return detect(d, rgb, 3, width, height, stride, 0, 0, width, height, scale, threshold, out, max_faces);
}

extern "C" int cfl_detect_grey(cfl_detector *d, const uint8_t *grey, int width, int height, int stride,
                               double scale, double threshold, cfl_face *out, int max_faces) {
    return detect(d, grey, 1, width, height, stride, 0, 0, width, height, scale, threshold, out, max_faces);
}

extern "C" int cfl_detect_region_grey(cfl_detector *d, const uint8_t *grey, int width, int height, int stride,
                                      int x, int y, int region_width, int region_height, double scale,
                                      double threshold, cfl_face *out, int max_faces) {
    return detect(d, grey, 1, width, height, stride, x, y, region_width, region_height, scale, threshold, out,
                  max_faces);
}

extern "C" int cfl_landmarks(cfl_detector *d, const uint8_t *rgb, int width, int height, int stride,
                             cfl_face box, cfl_point *out) {
    return landmarks(d, rgb, 3, width, height, stride, box, out);
}

extern "C" int cfl_landmarks_grey(cfl_detector *d, const uint8_t *grey, int width, int height, int stride,
                                  cfl_face box, cfl_point *out) {
    return landmarks(d, grey, 1, width, height, stride, box, out);
}

extern "C" int cfl_reference_landmarks_grey(const char *model_path, const uint8_t *grey, int width, int height, int stride,
                                            const cfl_face *boxes, int count, cfl_point *out) {
    if (!model_path || !boxes || !out || count < 0) return -1;
    try {
        dlib::shape_predictor predictor;
        dlib::deserialize(model_path) >> predictor;
        dlib::array2d<unsigned char> crop;
        for (int b = 0; b < count; ++b) {
            if (fit_landmarks(predictor, crop, grey, 1, width, height, stride, boxes[b], out + (size_t)b * CFL_LANDMARK_COUNT) != 0)
                return -1;
        }
        return 0;
    } catch (...) {
        return -1;
    }
}
