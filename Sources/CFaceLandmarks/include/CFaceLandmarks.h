#ifndef CFACELANDMARKS_H
#define CFACELANDMARKS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// dlib's HOG frontal face detector plus the 68-point shape predictor.
/// Not thread-safe: use one detector per worker thread.
typedef struct cfl_detector cfl_detector;

/// A face box in source pixels and the detector's confidence.
typedef struct {
    int x, y, width, height;
    double score;
} cfl_face;

typedef struct {
    float x, y;
} cfl_point;

#define CFL_LANDMARK_COUNT 68

/// Loads the shape predictor at `model_path` (~1 s, 100 MB). Returns NULL on failure and
/// writes a message into `error` (if not NULL).
cfl_detector *cfl_create(const char *model_path, char *error, size_t error_len);
void cfl_destroy(cfl_detector *detector);

/// Detects faces in an RGB24 image (`stride` bytes per row). The image is converted to
/// grey and resized by `scale` (0 < scale <= 4; area-averaged down, bilinear up) before
/// detection: HOG finds faces of about 70 px and up at the resized size. Boxes come back in source pixels, sorted by
/// score, only those with score >= `threshold`. Returns the number of faces found (at
/// most `max_faces` are written to `out`), or -1 on bad arguments.
int cfl_detect(cfl_detector *detector, const uint8_t *rgb, int width, int height, int stride,
               double scale, double threshold, cfl_face *out, int max_faces);

/// The same on a one-byte-per-pixel grey image, such as the Y plane of a yuv420p frame
/// (no colour conversion at all).
int cfl_detect_grey(cfl_detector *detector, const uint8_t *grey, int width, int height, int stride,
                    double scale, double threshold, cfl_face *out, int max_faces);

/// The same on the region (`x`, `y`, `region_width` x `region_height`, clipped to the image)
/// of a grey image: the search around a face already found, or at a larger scale than the
/// whole frame can afford. Boxes come back in the whole image's pixels.
int cfl_detect_region_grey(cfl_detector *detector, const uint8_t *grey, int width, int height, int stride,
                           int x, int y, int region_width, int region_height, double scale, double threshold,
                           cfl_face *out, int max_faces);

/// The 68 landmarks (iBUG 300-W order) of the face in `box`, in source pixels.
/// `out` must hold CFL_LANDMARK_COUNT points. Returns 0, or -1 on bad arguments.
int cfl_landmarks(cfl_detector *detector, const uint8_t *rgb, int width, int height, int stride,
                  cfl_face box, cfl_point *out);

/// The same on a grey image (e.g. a Y plane).
int cfl_landmarks_grey(cfl_detector *detector, const uint8_t *grey, int width, int height, int stride,
                       cfl_face box, cfl_point *out);

/// dlib's own shape_predictor over the model at `model_path`, for the tests that hold the
/// detector's faster evaluation of the same model (shape_fit.h) to it: the landmarks of each
/// of `count` boxes on a grey image, CFL_LANDMARK_COUNT points per box into `out`. Loads the
/// model on every call (seconds). Returns 0, or -1 on bad arguments or an unreadable model.
int cfl_reference_landmarks_grey(const char *model_path, const uint8_t *grey, int width, int height, int stride,
                                 const cfl_face *boxes, int count, cfl_point *out);

/// The mouth animation of one yuv420p frame (planes packed, no padding): opens the jaw and
/// lower lip of the face with these 68 landmarks by `opening` pixels along the
/// nose-to-chin axis (triangle-mesh warp with fixed anchors around the face) and fills the
/// opened mouth with a soft dark interior that keeps visible teeth. `mouth` (if not NULL)
/// receives the bounding box of the luma pixels the interior was drawn on (width 0 when
/// none), so a caller can check where the mouth went. Returns 1 if pixels changed, 0 if the
/// opening was too small to show (frame untouched), -1 on bad arguments.
int cfl_mouth_open_yuv420p(uint8_t *frame, int width, int height, const cfl_point *landmarks, double opening,
                           cfl_face *mouth);

/// dlib's face recognition ResNet: a 128-number descriptor of a face, such that two images
/// of the same person lie close (Euclidean distance) and of different people far apart.
/// Not thread-safe: use one recognizer per thread, or serialise calls.
typedef struct cfl_recognizer cfl_recognizer;

#define CFL_DESCRIPTOR_SIZE 128

/// Loads the 68-point shape predictor (`landmarks_path`, which aligns the face) and the
/// ResNet (`resnet_path`, dlib_face_recognition_resnet_model_v1.dat) (~1 s). Returns NULL on
/// failure and writes a message into `error` (if not NULL).
cfl_recognizer *cfl_recognizer_create(const char *landmarks_path, const char *resnet_path,
                                      char *error, size_t error_len);
void cfl_recognizer_destroy(cfl_recognizer *recognizer);

/// The descriptor of the largest face in an RGB24 image (`stride` bytes per row), written
/// to `out` (CFL_DESCRIPTOR_SIZE floats). Small images are enlarged before detection. When
/// the detector finds no face, the centre of the image is taken as the face (face crops are
/// made around one). Returns 1 (a detected face), 0 (the centre was used), or -1 on bad
/// arguments or a failure inside dlib.
int cfl_face_descriptor(cfl_recognizer *recognizer, const uint8_t *rgb, int width, int height, int stride,
                        float *out);

#ifdef __cplusplus
}
#endif

#endif
