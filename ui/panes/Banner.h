// A non-blocking strip under the toolbar: either progress (model loading, prefill with tokens/s and ETA; with a
// Cancel button) or an error (message, expandable details, close). Never a modal dialog.
#pragma once

#include <QFrame>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace m1::ui {

class Banner : public QFrame {
    Q_OBJECT
public:
    enum class Kind { Progress, Error };
    explicit Banner(Kind kind, QWidget* parent = nullptr);

    // Progress: maximum 0 = busy indicator.
    void showProgress(const QString& message, qint64 value, qint64 maximum);
    void showError(const QString& message, const QString& details = {});
    QString message() const;
    QString details() const;

signals:
    void cancelRequested();

private:
    Kind m_kind;
    QLabel* m_message = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_button = nullptr;       // Cancel (progress) or Details (error)
    QPushButton* m_close = nullptr;
    QPlainTextEdit* m_details = nullptr;
};

}  // namespace m1::ui
