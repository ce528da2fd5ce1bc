package mail

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// signingKey is the key unsubscribe links are signed with: made once, by
// whichever replica first needs it, and kept in the database so that every
// replica (and every restart) signs and checks alike.
func signingKey(ctx context.Context, db *gorm.DB) ([]byte, error) {
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh) // never fails (crypto/rand)
	err := db.WithContext(ctx).Exec("INSERT INTO mail_signing_key (id, key_hex) VALUES (1, ?) ON CONFLICT (id) DO NOTHING", hex.EncodeToString(fresh)).Error
	if err != nil {
		return nil, fmt.Errorf("mail signing key: %w", err)
	}
	var stored string
	if err := db.WithContext(ctx).Raw("SELECT key_hex FROM mail_signing_key WHERE id = 1").Scan(&stored).Error; err != nil {
		return nil, fmt.Errorf("mail signing key: %w", err)
	}
	return hex.DecodeString(stored)
}

// token signs a user's unsubscribe link: it names the user, so one link
// unsubscribes that user only, and cannot be made for another without the key.
func token(key []byte, userID int64) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("cascade-unsubscribe:" + strconv.FormatInt(userID, 10)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// unsubscribeURL is a user's unsubscribe link on the server at baseURL.
func unsubscribeURL(baseURL string, key []byte, userID int64) string {
	return baseURL + "/unsubscribe?" + url.Values{"u": {strconv.FormatInt(userID, 10)}, "t": {token(key, userID)}}.Encode()
}

// ErrBadUnsubscribeLink means the link's user and signature do not agree.
var ErrBadUnsubscribeLink = errs.Invalidf("INVALID_UNSUBSCRIBE_LINK", "this unsubscribe link is not valid: use the link of your latest e-mail, or sign in and ask an admin")

// Unsubscribe stops every e-mail to the user the link names, if its
// signature is right. Unsubscribing twice is fine.
func Unsubscribe(ctx context.Context, db *gorm.DB, userID int64, tok string, now time.Time) error {
	key, err := signingKey(ctx, db)
	if err != nil {
		return err
	}
	if userID <= 0 || !hmac.Equal([]byte(token(key, userID)), []byte(tok)) {
		return ErrBadUnsubscribeLink
	}
	var known int64
	if err := db.WithContext(ctx).Table("users").Where("id = ?", userID).Count(&known).Error; err != nil {
		return err
	}
	if known == 0 {
		return ErrBadUnsubscribeLink
	}
	return db.WithContext(ctx).Exec(`INSERT INTO mail_preferences (user_id, unsubscribed_at) VALUES (?, ?)
		ON CONFLICT (user_id) DO UPDATE SET unsubscribed_at = COALESCE(mail_preferences.unsubscribed_at, excluded.unsubscribed_at)`, userID, now).Error
}
