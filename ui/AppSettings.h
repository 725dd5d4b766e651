// The model and sampling settings the user picks, persisted in a QSettings the caller owns and injects (no global
// settings object), so that tests can give each run its own file. Plain value plus load/save; not thread-safe.
#pragma once

#include "app/session/Conversation.h"

#include <QString>

class QSettings;

namespace m1::ui {

struct AppSettings {
    QString modelDir;                             // empty: the demo model (tiny, random weights), made on first use
    QString backend = QStringLiteral("cpu");      // "cpu", "cuda" (GPU 0) or "cuda:N"
    // An OpenAI-compatible server instead of a local model (used when not empty), and the tokenizer.json that counts
    // the context for it. The API key is read from $M1_API_KEY, never stored in the settings file.
    QString endpoint;
    QString tokenizerFile;
    double temperature = 1.0;                     // MiniMax-M1's recommended sampling
    double topP = 0.95;
    int outputBudget = 40960;                     // thinking + answer: 40K (M1-40k) or 80K (M1-80k)
    QString systemPreset = QStringLiteral("general");  // general, webdev, math

    static constexpr int kBudget40K = 40960;
    static constexpr int kBudget80K = 81920;

    static AppSettings load(const QSettings& store);
    void save(QSettings& store) const;

    m1::app::SamplingSettings sampling() const;
    bool operator==(const AppSettings&) const = default;
};

}  // namespace m1::ui
